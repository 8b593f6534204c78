"""Family ``project``: the project's name, status and plan (the name labels every series)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from otel_ovh.families.attributes import PLAN, STATUS
from otel_ovh.families.base import HOURLY, PROJECT, Family, Kind, Metric, Point, Scope
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import Fields, Problems


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    project_id: str
    name: str
    status: str
    plan_code: str


def parse_project(body: object, problems: Problems, project_id: str) -> ProjectInfo:
    fields = Fields(body, "project", problems)
    name = fields.text("description") or fields.text("projectName") or project_id
    return ProjectInfo(
        project_id=fields.text("project_id") or project_id,
        name=name,
        status=fields.status("status"),
        plan_code=fields.text("planCode") or "",
    )


def describe(api: OvhApi, project_id: str) -> ProjectInfo:
    """One project's name and status, for ``check-config``; raises ``ApiError`` when it is unreadable."""
    return parse_project(api.get(PROJECT, {"serviceName": project_id}), Problems(), project_id)


def _fetch(api: OvhApi, scope: Scope) -> ProjectInfo:
    return parse_project(api.get(PROJECT, scope.params()), scope.problems, scope.project_id)


def _info(info: ProjectInfo) -> Iterable[Point]:
    yield {STATUS.key: info.status, PLAN.key: info.plan_code}, 1.0


FAMILY: Family[ProjectInfo] = Family(
    name="project",
    routes=(PROJECT,),
    cadence=HOURLY,
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.project.info",
            kind=Kind.GAUGE,
            unit="{info}",
            description="Always 1; carries the project's status and plan.",
            attributes=(STATUS, PLAN),
            source="`cloud/project/{id}` (`status`, `planCode`)",
            points=_info,
        ),
    ),
    project_name=lambda info: info.name,
)
