"""A restart with ``state.path`` serves the last data at once, with its real age; a state file that
cannot be trusted (cut short, foreign, tampered with) is ignored with one warning."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from otel_ovh.serve.app import Exporter
from otel_ovh.simulator import SimulatedOvh, World
from tests.integration.conftest import ExporterFactory, series
from tests.security.support import request, sim_env, start_serve
from tests.support.waiting import wait_until

_SERIES = re.compile(r'^(ovh_cloud_[a-z_]+\{[^}]*cloud_account_id="([0-9a-f]{32})"[^}]*\}) (\S+)$', re.M)


def _ovh_series(body: bytes) -> dict[str, dict[str, str]]:
    """Each project's OVH series (name and labels) and their values."""
    found: dict[str, dict[str, str]] = {}
    for match in _SERIES.finditer(body.decode()):
        found.setdefault(match.group(2), {})[match.group(1)] = match.group(3)
    return found


def _fetched(body: bytes, pid: str, family: str) -> float:
    labels = rf'cloud_account_id="{pid}",otel_ovh_family="{family}"'
    name = "otel_ovh_data_fetched_timestamp_seconds"
    match = re.search(rf"^{name}\{{{labels}[^}}]*\}} (\S+)$", body.decode(), re.M)
    assert match, f"no fetch time for {pid} {family}"
    return float(match.group(1))


def _metrics(port: int) -> bytes:
    """The exposition; empty while the process is not listening yet."""
    try:
        answer = request("127.0.0.1", port, "/metrics")
    except OSError:
        return b""
    return answer.body if answer.status == 200 else b""


def test_a_restart_serves_the_last_data_at_once_with_its_age(
    sim: SimulatedOvh, world: World, tmp_path: Path
) -> None:
    state = tmp_path / "state" / "otel-ovh.json"
    env = sim_env(sim, tmp_path, OTEL_OVH_STATE__PATH=str(state), OTEL_OVH_COLLECT__INTERVAL="3600")
    first = start_serve(tmp_path / "first", env)
    try:
        body = wait_until(
            lambda: _metrics(first.port),
            lambda b: set(_ovh_series(b)) == set(world.project_ids),
            timeout=30,
            what="every project's series",
        )
        wait_until(state.exists, bool, timeout=10, what="the state file")
    finally:
        first.stop()
    fetched = time.time()
    written = state.read_text()
    assert sim.credentials["consumer_key"] not in written
    assert sim.credentials["application_secret"] not in written

    sim.latency = 5.0  # every call: the first refresh cannot end within the next seconds
    started = time.monotonic()
    second = start_serve(tmp_path / "second", env, ready=False)
    try:
        warm = wait_until(
            lambda: _metrics(second.port),
            lambda b: set(_ovh_series(b)) == set(world.project_ids),
            timeout=10,
            interval=0.05,
            what="the last data, served from the state file",
        )
        elapsed = time.monotonic() - started
        assert "refresh 1:" not in second.output()  # no refresh has ended: the data is the file's
    finally:
        second.stop()
    assert elapsed < 2.0, f"the last data took {elapsed:.1f}s to be served"
    assert _ovh_series(warm) == _ovh_series(body)  # the same series, the same values
    for pid in world.project_ids:  # the time the data was fetched, not this process's start
        assert _fetched(warm, pid, "instances") == _fetched(body, pid, "instances") < fetched


def _saved(make_exporter: ExporterFactory, path: Path, **sections: object) -> Exporter:
    exporter = make_exporter(state={"path": str(path)}, **sections)
    exporter.refresher.refresh_once()
    assert path.exists()
    return exporter


def _warm(make_exporter: ExporterFactory, path: Path, **sections: object) -> Exporter:
    exporter = make_exporter(state={"path": str(path)}, **sections)
    exporter.refresher.warm_start()
    return exporter


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _rewrite(change: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    def rewrite(path: Path) -> None:
        content = json.loads(path.read_text())
        change(content)
        path.write_text(json.dumps(content))

    return rewrite


def _tamper_a_record(content: dict[str, object]) -> None:
    projects = content["projects"]
    assert isinstance(projects, dict)
    first = next(iter(projects.values()))
    first["records"]["volumes"][0]["size_bytes"] = "big"


SPOILED = {
    "cut short": (_cut, "cut short"),
    "not ours": (lambda p: p.write_text('{"hello": 1}'), "not an otel-ovh state file"),
    "another version": (_rewrite(lambda c: c.update(version=99)), "format version 99"),
    "another account": (_rewrite(lambda c: c.update(account="0" * 32)), "another OVH account"),
    "a record tampered with": (_rewrite(_tamper_a_record), "size_bytes: not a number"),
}


@pytest.mark.parametrize("case", SPOILED)
def test_a_state_file_that_cannot_be_trusted_is_ignored_with_one_warning(
    case: str, make_exporter: ExporterFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    _saved(make_exporter, path)
    spoil, said = SPOILED[case]
    spoil(path)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        exporter = _warm(make_exporter, path)
    assert exporter.store.current.projects == {}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and said in warnings[0].getMessage() and str(path) in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]


def test_no_state_file_yet_is_no_warning(
    make_exporter: ExporterFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        exporter = _warm(make_exporter, tmp_path / "none.json")
    assert exporter.store.current.projects == {}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_only_the_projects_and_families_still_configured_are_served(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    path = tmp_path / "state.json"
    kept, removed = world.project_ids[0], world.project_ids[1]
    before = _saved(make_exporter, path, projects=[{"id": kept}, {"id": removed}])
    body = before.telemetry.render()
    after = _warm(
        make_exporter,
        path,
        projects=[{"id": kept, "labels": {"team": "data"}}],
        collect={"families": ["volumes"]},
    )
    assert set(after.store.current.projects) == {kept}
    assert set(after.store.current.projects[kept].fetched_at) == {"volumes"}
    served = [line for line in series(after.telemetry.render()) if line.startswith("ovh_cloud_")]
    assert served and all('team="data"' in line and "ovh_cloud_volume" in line for line in served)
    assert f'cloud_account_id="{removed}"' in body.decode()


def test_the_file_is_replaced_whole_and_a_write_that_fails_is_said_once(
    make_exporter: ExporterFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = _saved(make_exporter, tmp_path / "state" / "otel-ovh.json")
    exporter.refresher.refresh_once()
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["otel-ovh.json"]  # no temporary left

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    failing = make_exporter(state={"path": str(blocked / "otel-ovh.json")})
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        for _ in range(3):
            failing.refresher.refresh_once()
    said = [r.getMessage() for r in caplog.records if "cannot write the state file" in r.getMessage()]
    assert len(said) == 1 and str(blocked) in said[0]
    assert failing.store.current.projects  # serving goes on
