"""The resource says what produced the data; precedence: setting, then OTEL_* variables, then defaults."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from otel_ovh import __version__
from otel_ovh.export.pipeline import build_resource
from otel_ovh.settings.config import parse_settings
from otel_ovh.settings.resource import host_instance_id

KEYS = {"application_key": "a", "application_secret": "b", "consumer_key": "c"}


def _resource(env: dict[str, str], **telemetry: str) -> dict[str, object]:
    settings = parse_settings({"ovh": KEYS, "telemetry": telemetry}, environ=env)
    return dict(build_resource(settings).attributes)


def test_defaults_describe_the_exporter() -> None:
    attributes = _resource({"HOSTNAME": "otel-ovh-7d9f"})
    assert attributes["service.name"] == "otel-ovh"
    assert attributes["service.version"] == __version__
    assert attributes["service.instance.id"] == "otel-ovh-7d9f"
    assert not any(key.startswith(("cloud.", "ovh.")) for key in attributes)  # project facts stay on points


def test_variables_win_over_defaults() -> None:
    attributes = _resource(
        {
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,deployment.environment.name=prod%20eu",
            "OTEL_SERVICE_NAME": "from-name",
        }
    )
    assert attributes["service.name"] == "from-name"
    assert attributes["deployment.environment.name"] == "prod eu"


def test_an_explicit_setting_wins_over_the_variables() -> None:
    attributes = _resource({"OTEL_SERVICE_NAME": "from-name"}, service_name="finops-exporter")
    assert attributes["service.name"] == "finops-exporter"


def test_the_environment_is_read_at_load_not_when_the_resource_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "at-load")
    settings = parse_settings({"ovh": KEYS})
    monkeypatch.setenv("OTEL_SERVICE_NAME", "later")
    assert build_resource(settings).attributes["service.name"] == "at-load"


def test_the_instance_id_survives_a_restart_on_one_host(tmp_path: Path) -> None:
    """Two loads without HOSTNAME (two starts) give one id; another machine id gives another."""
    assert _resource({})["service.instance.id"] == _resource({})["service.instance.id"]
    one, two = tmp_path / "one", tmp_path / "two"
    one.write_text("3d121d0a7f3c4c1e9d1f0e0b5a6c7d8e\n")
    two.write_text("0000000000000000000000000000000a\n")
    assert host_instance_id((one,)) == host_instance_id((tmp_path / "absent", one))
    assert host_instance_id((one,)) != host_instance_id((two,))
    assert host_instance_id((tmp_path / "absent",)) == socket.gethostname()
