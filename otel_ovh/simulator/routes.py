"""The matching of a request path against the API's path templates, and the templates outside the
families (the families declare theirs: ``families/__init__.py``).

Templates are relative to `/1.0` and use OVH's own parameter names; the matched template is also
what the call log records as the route, so tests and metrics count calls per template.
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECTS = "/cloud/project"  # the project list; every other cloud path is one project's
P = PROJECTS + "/{serviceName}"  # each simulated family's routes hang below this one
AUTH_ROUTES = ("/auth/time", "/auth/credential", "/auth/currentCredential", "/auth/details")
PROJECT_PREFIX = PROJECTS + "/"


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
