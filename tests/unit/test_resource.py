"""The resource says what produced the data; precedence: setting, then OTEL_* variables, then defaults."""

from __future__ import annotations

import pytest

from otel_ovh import __version__
from otel_ovh.config import parse_settings
from otel_ovh.telemetry import build_resource

KEYS = {"application_key": "a", "application_secret": "b", "consumer_key": "c"}


def _resource(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **telemetry: str) -> dict[str, object]:
    for name in ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = parse_settings({"ovh": KEYS, "telemetry": telemetry})
    return dict(build_resource(settings).attributes)


def test_defaults_describe_the_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTNAME", "otel-ovh-7d9f")
    attributes = _resource(monkeypatch, {})
    assert attributes["service.name"] == "otel-ovh"
    assert attributes["service.version"] == __version__
    assert attributes["service.instance.id"] == "otel-ovh-7d9f"
    assert not any(key.startswith(("cloud.", "ovh.")) for key in attributes)  # project facts stay on points


def test_variables_win_over_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    attributes = _resource(
        monkeypatch,
        {
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,deployment.environment.name=prod",
            "OTEL_SERVICE_NAME": "from-name",
        },
    )
    assert attributes["service.name"] == "from-name"
    assert attributes["deployment.environment.name"] == "prod"


def test_an_explicit_setting_wins_over_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    attributes = _resource(monkeypatch, {"OTEL_SERVICE_NAME": "from-name"}, service_name="finops-exporter")
    assert attributes["service.name"] == "finops-exporter"
