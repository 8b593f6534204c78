"""What ``/healthz`` and ``/readyz`` say: None when fine, else one line saying what is wrong.

Liveness is about the process: a loop of ours that died (and is being restarted), or an OTLP export
thread gone; a kubelet restarts a process that stays unhealthy. Readiness is about the data: ready once
the data of at least one project is served, not merely once a refresh has run, since a refresh in which
every project failed serves nothing. The probes answer without credentials, so the lines name no project
and no secret: the log has the details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otel_ovh.collect.snapshot import ProjectState, Snapshot
from otel_ovh.families import BY_NAME
from otel_ovh.ovh.client import ApiError


@dataclass(frozen=True)
class State:
    """What readiness is judged on, as read at one probe."""

    refreshes: int  # refreshes finished
    served: Snapshot  # the snapshot whose data is served
    current: Snapshot  # the newest snapshot published
    discovery_error: ApiError | None  # why the last project listing failed, if it did
    render_error: str | None  # why the last render of OVH's series failed, if it did


def not_ready(state: State) -> str | None:
    served, current = state.served, state.current
    if state.render_error is not None and served.version < current.version:
        return f"not ready: the data served is stale: rendering newer data failed ({state.render_error})"
    if any(_from_ovh(project) for project in served.projects.values()):
        return None
    if state.refreshes == 0:
        return "not ready: the first refresh has not finished"
    if not current.projects:
        if state.discovery_error is not None:
            why = _anonymous(state.discovery_error)
            return f"not ready: no project to collect: cannot list projects ({why})"
        return "not ready: no project to collect (none configured here, or the credentials read none)"
    failed = [project for project in current.projects.values() if project.errors]
    if len(failed) == len(current.projects):
        first = _anonymous(failed[0].errors[0])
        return f"not ready: every project failed its last refresh ({len(failed)}; one said: {first})"
    return "not ready: no project has data younger than collect.max_staleness"


def _from_ovh(project: ProjectState) -> bool:
    """Whether the project serves a record OVH answered: a family that makes no call (``routes``
    empty, such as the advice) is worked out from others' records, and alone serves nothing of OVH."""
    return any(name not in BY_NAME or BY_NAME[name].routes for name in project.fetched_at)


_PROJECT_ID = re.compile(r"[0-9a-fA-F]{32}")


def _anonymous(error: object) -> str:
    """An error's first line, with any project id OVH's message quoted taken out."""
    lines = str(error).splitlines() or [""]
    return _PROJECT_ID.sub("<project>", lines[0])[:160]
