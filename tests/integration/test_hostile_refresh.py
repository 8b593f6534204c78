"""Hostile OVH answers against a whole refresh, through the real ``ovh`` client and the hostile stand-in:
the project they hit fails alone (flagged, its last data served until it is too old), the others are
published whole and on time, one warning per outage and no traceback."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

import pytest

from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World
from tests.integration.conftest import settings_for
from tests.support.hostile_ovh import HostileOvh, Rule


@pytest.fixture
def hostile(sim: SimulatedOvh) -> Iterator[HostileOvh]:
    with HostileOvh(sim) as proxy:
        yield proxy


@pytest.fixture
def built() -> Iterator[list[Exporter]]:
    exporters: list[Exporter] = []
    yield exporters
    for exporter in exporters:
        exporter.refresher.stop()
        exporter.telemetry.shutdown()


def _exporter(hostile: HostileOvh, built: list[Exporter], **collect: object) -> Exporter:
    raw = settings_for(hostile, collect={"interval": 60, "timeout": 1, "retries": 1, **collect})  # type: ignore[arg-type]
    exporter = Exporter.build(parse_settings(raw), serve=False)
    built.append(exporter)
    return exporter


def _value(body: str, metric: str, pid: str) -> float | None:
    match = re.search(rf'^{metric}\{{[^}}]*cloud_account_id="{pid}"[^}}]*\}} (\S+)$', body, re.M)
    return float(match.group(1)) if match else None


def _series(body: str, pid: str) -> set[str]:
    return {
        line.rsplit(" ", 1)[0]
        for line in body.splitlines()
        if line.startswith("ovh_") and f'cloud_account_id="{pid}"' in line
    }


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


@pytest.mark.serial  # deadlines of a second or two: no other test loading the CPU
def test_a_trickling_project_goes_stale_alone_and_is_flagged(
    hostile: HostileOvh, world: World, built: list[Exporter], caplog: pytest.LogCaptureFixture
) -> None:
    slow, *others = world.project_ids
    # Few workers: the trickling project must not hold them all, and abandoned calls must free them, or
    # the others (and the next refresh) would wait behind the trickle.
    exporter = _exporter(hostile, built, refresh_timeout=4, concurrency=4, retries=3)
    exporter.refresher.refresh_once()
    before = exporter.telemetry.render().decode()
    whole = {pid: _series(before, pid) for pid in world.project_ids}
    assert all(_value(before, "otel_ovh_collection_success", pid) == 1 for pid in world.project_ids)
    caplog.clear()

    hostile.add(Rule(f"/cloud/project/{slow}/quota", trickle=0.05))
    hostile.add(Rule(f"/cloud/project/{slow}/instance*", trickle=0.05))
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG, logger="otel_ovh"):
        exporter.refresher.refresh_once()
    took = time.monotonic() - started
    assert took < 5.5  # the refresh's deadline, not the trickle, decides
    body = exporter.telemetry.render().decode()
    assert _value(body, "otel_ovh_collection_success", slow) == 0
    assert all(_value(body, "otel_ovh_collection_success", pid) == 1 for pid in others)
    assert all(_series(body, pid) == whole[pid] for pid in others)
    assert _series(body, slow) == whole[slow]  # last good data, until collect.max_staleness
    state = exporter.store.current.projects[slow]
    assert any("quota" in e and "deadline" in e for e in state.errors), state.errors
    assert 'error_type="refresh_deadline"' in body or 'error_type="timeout"' in body
    assert not _tracebacks(caplog)

    hostile.clear()
    started = time.monotonic()
    exporter.refresher.refresh_once()
    assert time.monotonic() - started < 3.5
    body = exporter.telemetry.render().decode()
    assert all(_value(body, "otel_ovh_collection_success", pid) == 1 for pid in world.project_ids)


@pytest.mark.serial  # deadlines of a second or two: no other test loading the CPU
@pytest.mark.parametrize(
    "rule",
    [
        {"huge": 300_000_000},
        {"gzip_bomb": 300_000_000},
        {"body": b"[" * 100_000 + b"]" * 100_000},
        {"body": b'{"id": ' + b"9" * 5000 + b"}"},
    ],
    ids=["huge answer", "gzip bomb", "deep nesting", "5000-digit integer"],
)
def test_a_hostile_answer_costs_that_call_only(
    rule: dict[str, object],
    hostile: HostileOvh,
    world: World,
    built: list[Exporter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    hit, *others = world.project_ids
    exporter = _exporter(hostile, built, max_answer_bytes=8 << 20)
    exporter.refresher.refresh_once()
    before = exporter.telemetry.render().decode()
    hostile.add(Rule(f"/cloud/project/{hit}/volume", **rule))  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        for _ in range(2):
            exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    assert _value(body, "otel_ovh_collection_success", hit) == 0
    assert all(_value(body, "otel_ovh_collection_success", pid) == 1 for pid in others)
    assert all(_series(body, pid) == _series(before, pid) for pid in others)
    kept = {s for s in _series(body, hit) if not s.startswith("ovh_cloud_volume")}
    assert kept and kept == {s for s in _series(before, hit) if not s.startswith("ovh_cloud_volume")}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"project {hit}: volumes:" in warnings[0], warnings
    reason = "too_large" if "huge" in rule or "gzip_bomb" in rule else "undecodable"
    assert f'error_type="{reason}"' in body
    assert not _tracebacks(caplog)


@pytest.mark.parametrize(
    "rule",
    [
        {"body": b'"noon"'},
        {"body": b"1" + b"0" * 40},
        {"body": b"9" * 400},  # an integer no float can hold
        {"body": b"-1"},
        {"body": b"true"},
        {"body": b"9" * 5000},
        {"body": b'{"time": 1700000000}'},
        {"body": b"<html><body>502 Bad Gateway</body></html>"},
        {"status": 502, "body": b"<html><body>502 Bad Gateway</body></html>"},
        {"trickle": 0.5},
    ],
    ids=[
        "text",
        "huge number",
        "400 digits",
        "negative",
        "boolean",
        "5000 digits",
        "object",
        "HTML page",
        "HTML 502",
        "trickle",
    ],
)
def test_auth_time_garbage_falls_back_to_the_local_clock_with_one_warning(
    rule: dict[str, object], hostile: HostileOvh, built: list[Exporter], caplog: pytest.LogCaptureFixture
) -> None:
    hostile.add(Rule("/auth/time", **rule))  # type: ignore[arg-type]
    exporter = _exporter(hostile, built)
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        for _ in range(2):
            exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    projects = list(exporter.store.current.projects)
    assert len(projects) == 3
    assert all(_value(body, "otel_ovh_collection_success", pid) == 1 for pid in projects)
    assert all(_series(body, pid) for pid in projects)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "signing with the local clock" in warnings[0], warnings
    assert hostile.count("/auth/time") == 1
    assert not _tracebacks(caplog)
