"""Faults on demand: the failures a client of the real API meets, injected per project and path.

A fault matches a call by project (an id, or `*`) and by a glob on the path relative to the project
(`usage/*`, `quota`, `*`; the project's own path is "" and the project list matches project `*`
with path "" too). The first matching fault answers instead of the world, `times` times (None:
until cleared). Kinds:

* `status`: an error status with OVH's body for it: 403 with `error_code` (NOT_GRANTED_CALL,
  INVALID_CREDENTIAL…) or, without one, an IAM denial (no errorCode); 404, 429 (with a Retry-After
  header when `retry_after` is set), 500, 503…;
* `html`: a load-balancer HTML page (502 by default), which python-ovh cannot decode;
* `invalid_json`: status 200 with a truncated JSON body;
* `body`: status 200 (or `status`) with `body` as the JSON answer: a well-formed answer of the wrong
  shape;
* `slow`: waits `delay` seconds, then answers normally (a `delay` on any other kind also waits
  before the failure: a slow 503).

Faults apply after authentication: a bad signature is still a bad signature.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any

from otel_ovh.simulator.errors import ApiError, auth_error, iam_denial, service_error

KINDS = ("status", "html", "invalid_json", "body", "slow")
DEFAULT_STATUS = {"status": 500, "html": 502, "invalid_json": 200, "body": 200, "slow": 200}
HTML_PAGE = (
    "<html><body><h1>{status} {reason}</h1>\n"
    "The server returned an invalid or incomplete response.\n</body></html>\n"
)
BROKEN_JSON = b'{"period": {"from": "2025-10-01T00:00:00+00:00", "to": '


@dataclass(frozen=True)
class Fault:
    """One injected failure; see the module docstring for the fields' meaning."""

    project: str = "*"
    path: str = "*"
    kind: str = "status"
    status: int | None = None
    error_code: str | None = None
    times: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    message: str | None = None
    body: Any = None  # the JSON answer of a `body` fault

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind == "slow" and self.delay <= 0:
            raise ValueError("a slow fault needs a delay (seconds) above 0")
        if self.times is not None and self.times < 1:
            raise ValueError("fault times must be at least 1 (or None for until cleared)")

    @property
    def effective_status(self) -> int:
        return self.status if self.status is not None else DEFAULT_STATUS[self.kind]

    def matches(self, project: str, path: str) -> bool:
        return self.project in ("*", project) and fnmatch.fnmatchcase(path, self.path)

    def error(self) -> ApiError:
        """The error a `status` fault answers."""
        status = self.effective_status
        if status == 403 and self.error_code:
            error = auth_error(self.error_code, self.message)
        elif status == 403:
            error = iam_denial()
        else:
            error = service_error(status, self.message)
        if self.retry_after is not None:
            error.headers["Retry-After"] = str(self.retry_after)
        return error

    def canned(self) -> tuple[int, bytes, str] | None:
        """(status, body, content type) of an `html`, `invalid_json` or `body` fault; None for the others."""
        status = self.effective_status
        if self.kind == "html":
            page = HTML_PAGE.format(status=status, reason=HTTPStatus(status).phrase)
            return status, page.encode(), "text/html; charset=utf-8"
        if self.kind == "invalid_json":
            return status, BROKEN_JSON, "application/json; charset=utf-8"
        if self.kind == "body":
            return status, json.dumps(self.body).encode(), "application/json; charset=utf-8"
        return None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None


class FaultSet:
    """The active faults, thread-safe; `take` consumes one use of the first matching fault."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Armed] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(_Armed(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [armed.fault for armed in self._faults]

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def take(self, project: str, path: str) -> Fault | None:
        with self._lock:
            for armed in self._faults:
                if armed.fault.matches(project, path):
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining == 0:
                            self._faults.remove(armed)
                    return armed.fault
        return None


def fault_from_json(data: Any) -> Fault:
    """A Fault from the control endpoint's JSON object (unknown keys are an error)."""
    if not isinstance(data, dict):
        raise ValueError("a fault is a JSON object")
    known = set(Fault.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    return Fault(**data)
