"""What /readyz says, judged on plain states: ready once a project's data is served, else why not."""

from __future__ import annotations

from otel_ovh.collect.snapshot import ProjectData, ProjectState, Snapshot
from otel_ovh.ovh.client import ApiError
from otel_ovh.serve.health import State, not_ready

PID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def project(pid: str, *, data: bool, errors: tuple[str, ...] = ()) -> ProjectState:
    fetched = {"cost": 1.0} if data else {}
    return ProjectState(pid, pid, {}, ProjectData(), fetched, not errors, 1.0, errors)


def snapshot(version: int, *projects: ProjectState) -> Snapshot:
    return Snapshot(version, {p.project_id: p for p in projects})


def state(
    served: Snapshot,
    current: Snapshot | None = None,
    *,
    refreshes: int = 1,
    discovery_error: ApiError | None = None,
    render_error: str | None = None,
) -> State:
    return State(refreshes, served, current or served, discovery_error, render_error)


def test_ready_once_one_project_is_served_even_when_others_failed() -> None:
    served = snapshot(3, project(PID, data=True), project(OTHER, data=False, errors=("cost: HTTP 500",)))
    assert not_ready(state(served)) is None


def test_each_reason_in_one_line_naming_no_project() -> None:
    empty = snapshot(0)
    assert not_ready(state(empty, refreshes=0)) == "not ready: the first refresh has not finished"
    refused = ApiError("/cloud/project", 403, f"project {PID} is not yours")
    assert not_ready(state(snapshot(1), discovery_error=refused)) == (
        "not ready: no project to collect: cannot list projects "
        "(/cloud/project: HTTP 403: project <project> is not yours)"
    )
    assert "none configured here" in (not_ready(state(snapshot(1))) or "")
    failed = snapshot(2, project(PID, data=False, errors=(f"cost: HTTP 500: {PID}\nmore",)))
    assert not_ready(state(failed)) == (
        "not ready: every project failed its last refresh (1; one said: cost: HTTP 500: <project>)"
    )
    expired = snapshot(4, project(PID, data=False))
    assert not_ready(state(expired)) == "not ready: no project has data younger than collect.max_staleness"


def test_stale_when_newer_data_could_not_be_rendered() -> None:
    served, newer = snapshot(3, project(PID, data=True)), snapshot(5, project(PID, data=True))
    assert not_ready(state(served, newer, render_error="RuntimeError: x")) == (
        "not ready: the data served is stale: rendering newer data failed (RuntimeError: x)"
    )
    assert not_ready(state(newer, newer, render_error="RuntimeError: x")) is None  # caught up since
