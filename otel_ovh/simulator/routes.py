"""The API's path templates and the matching of a request path against them.

Templates are relative to `/1.0` and use OVH's own parameter names; the matched template is also
what the call log records as the route, so tests and metrics count calls per template.
"""

from __future__ import annotations

from dataclasses import dataclass

P = "/cloud/project/{serviceName}"
CLOUD_ROUTES = (
    "/cloud/project",
    P,
    f"{P}/region",
    f"{P}/region/{{regionName}}",
    f"{P}/region/{{regionName}}/quota",
    f"{P}/region/{{regionName}}/storage",
    f"{P}/region/{{regionName}}/floatingip",
    f"{P}/region/{{regionName}}/gateway",
    f"{P}/region/{{regionName}}/loadbalancing/loadbalancer",
    f"{P}/quota",
    f"{P}/instance",
    f"{P}/instance/{{instanceId}}",
    f"{P}/flavor",
    f"{P}/flavor/{{flavorId}}",
    f"{P}/volume",
    f"{P}/volume/{{volumeId}}",
    f"{P}/storage",
    f"{P}/usage/current",
    f"{P}/usage/forecast",
    f"{P}/usage/history",
    f"{P}/usage/history/{{usageId}}",
    f"{P}/usage/plans",
    f"{P}/credit",
    f"{P}/credit/{{id}}",
    f"{P}/alerting",
    f"{P}/alerting/{{id}}",
    f"{P}/kube",
    f"{P}/kube/{{kubeId}}",
    f"{P}/kube/{{kubeId}}/nodepool",
    f"{P}/kube/{{kubeId}}/nodepool/{{nodePoolId}}/nodes",
    f"{P}/kube/{{kubeId}}/metrics/etcdUsage",
)
AUTH_ROUTES = ("/auth/time", "/auth/credential", "/auth/currentCredential", "/auth/details")
PROJECT_PREFIX = "/cloud/project/"


@dataclass(frozen=True)
class Match:
    template: str
    params: dict[str, str]


class Router:
    """Segment-by-segment matching; `{name}` matches exactly one non-empty segment."""

    def __init__(self, templates: tuple[str, ...]) -> None:
        self._by_length: dict[int, list[tuple[str, list[str]]]] = {}
        for template in templates:
            parts = template.strip("/").split("/")
            self._by_length.setdefault(len(parts), []).append((template, parts))

    def match(self, path: str) -> Match | None:
        segments = path.strip("/").split("/")
        for template, parts in self._by_length.get(len(segments), []):
            params: dict[str, str] = {}
            for part, segment in zip(parts, segments, strict=True):
                if part.startswith("{") and segment:
                    params[part[1:-1]] = segment
                elif part != segment:
                    break
            else:
                return Match(template, params)
        return None


def project_scope(path: str) -> tuple[str, str]:
    """(project id, path relative to the project) of a cloud path; ("", "") for the project list.

    This is what faults are matched against: `usage/current` for `/cloud/project/X/usage/current`,
    and "" for `/cloud/project/X` itself.
    """
    if not path.startswith(PROJECT_PREFIX):
        return "", ""
    project, _, rest = path[len(PROJECT_PREFIX) :].partition("/")
    return project, rest
