"""OVH calls per family over the last hour, for the refresh's log line.

With each family at its own cadence, calls per refresh say little: an hourly family costs nothing in
most refreshes and its whole share in one. OVH's fair use is counted over time, so the refresher
reports the calls of the last hour, per family, from the process's call counts by route.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from typing import Any

from otel_ovh.families.base import Family

HOUR = 3600.0
OTHER = "other"  # calls no family makes: the project list, OVH's clock


class HourlyCalls:
    """Books the calls made since the last refresh by family, and keeps the last hour of them."""

    def __init__(self, families: Iterable[Family[Any]]) -> None:
        # A route two families list is booked to the first: the other reads that one's record.
        self._family_of: dict[str, str] = {}
        for family in families:
            for route in family.routes:
                self._family_of.setdefault(route, family.name)
        self._seen: Counter[str] = Counter()
        self._booked: deque[tuple[float, Counter[str]]] = deque()

    def book(self, counts: Mapping[tuple[str, int], int], now: float) -> Counter[str]:
        """Book the calls ``counts`` (cumulative, by route and status) adds; the last hour's, by family."""
        by_route: Counter[str] = Counter()
        for (route, _), count in counts.items():
            by_route[route] += count
        new = by_route - self._seen
        self._seen = by_route
        booked: Counter[str] = Counter()
        for route, count in new.items():
            booked[self._family_of.get(route, OTHER)] += count
        self._booked.append((now, booked))
        while self._booked and self._booked[0][0] <= now - HOUR:
            self._booked.popleft()
        total: Counter[str] = Counter()
        for _, calls in self._booked:
            total.update(calls)
        return total


def summary(calls: Counter[str]) -> str:
    """``cost 2, instances 24``: the families that called, most calls first."""
    return ", ".join(f"{name} {count}" for name, count in calls.most_common() if count)
