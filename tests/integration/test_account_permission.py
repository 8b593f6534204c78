"""A key without the ``/me`` and ``/services`` rights, through the real ``ovh`` client against a simulator
that enforces consumer-key access rules: the account family says "not permitted" once, its health series
is 0, it asks OVH nothing more until a reload, and every Public Cloud series is as with full rights."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh
from otel_ovh.simulator.auth import CLOUD_RULES
from tests.integration.conftest import ExporterFactory, series, settings_for


def success(lines: list[str]) -> dict[str, float]:
    """``otel_ovh_account_collection_success`` by family; "projects" the lowest of the projects'."""
    found: dict[str, float] = {}
    for line in lines:
        value = float(line.rsplit(" ", 1)[1])
        if line.startswith("otel_ovh_account_collection_success{"):
            found[line.split('otel_ovh_family="', 1)[1].split('"', 1)[0]] = value
        elif line.startswith("otel_ovh_collection_success{"):
            found["projects"] = min(found.get("projects", 1.0), value)
    return found


def _cloud_only(sim: SimulatedOvh) -> dict[str, Any]:
    key = sim.auth.new_credential([dict(rule) for rule in CLOUD_RULES])
    sim.auth.validate(key.token)
    raw = settings_for(sim)
    raw["ovh"] = {**raw["ovh"], "consumer_key": key.consumer_key}
    return raw


def _account_calls(sim: SimulatedOvh) -> list[tuple[str, int]]:
    return [(c.route, c.status) for c in sim.calls if c.route.startswith(("/me", "/services"))]


def test_a_key_without_account_rights_keeps_every_cloud_series(
    sim: SimulatedOvh, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    full = make_exporter()
    full.refresher.refresh_once()
    with_rights = series(full.telemetry.render())

    raw = _cloud_only(sim)
    exporter = make_exporter(raw=raw)
    sim.reset_calls()
    with caplog.at_level(logging.WARNING):
        exporter.refresher.refresh_once()
        exporter.refresher.refresh_once()
    lines = series(exporter.telemetry.render())

    said = [r for r in caplog.records if "not permitted" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert "/me/consumption/usage/current" in said[0].getMessage()
    assert _account_calls(sim) == [("/me/consumption/usage/current", 403)]  # one refusal, then no call
    assert [line for line in lines if line.startswith("ovh_account_")] == []
    assert success(lines) == {"account": 0.0, "catalog": 1.0, "projects": 1.0}
    assert success(with_rights) == {"account": 1.0, "catalog": 1.0, "projects": 1.0}
    cloud = sorted(line for line in lines if line.startswith("ovh_cloud_"))
    assert cloud and cloud == sorted(line for line in with_rights if line.startswith("ovh_cloud_"))

    from otel_ovh.commands.report import format_table

    assert "account: not permitted: GET /me/consumption/usage/current" in format_table(exporter)

    exporter.reload(parse_settings(raw))  # a reload tries again, once
    exporter.refresher.refresh_once()
    exporter.refresher.refresh_once()
    assert _account_calls(sim) == [("/me/consumption/usage/current", 403)] * 2
