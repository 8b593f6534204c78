"""The record of the calls the simulator answered, for tests that count OVH calls.

Bounded (the oldest calls are dropped past `MAX_CALLS`) so that a demo left running for days does
not grow without end.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

MAX_CALLS = 200_000


@dataclass(frozen=True)
class Call:
    """One answered request. `route` is the path template relative to /1.0 (the raw path when no
    template matched); `project` the project id in the path, "" when none."""

    method: str
    path: str
    route: str
    project: str
    status: int
    duration: float
    at: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class CallLog:
    def __init__(self, limit: int = MAX_CALLS) -> None:
        self._lock = threading.Lock()
        self._calls: deque[Call] = deque(maxlen=limit)

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def snapshot(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def count(
        self,
        route: str | None = None,
        project: str | None = None,
        status: int | None = None,
        method: str | None = None,
    ) -> int:
        """Calls matching every criterion given (None matches anything)."""
        return sum(
            1
            for c in self.snapshot()
            if route in (None, c.route)
            and project in (None, c.project)
            and status in (None, c.status)
            and method in (None, c.method)
        )

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
