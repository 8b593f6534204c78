"""Calls per family over the last hour, from cumulative counts by route."""

from __future__ import annotations

from otel_ovh.collect.accounting import HourlyCalls, summary
from otel_ovh.families import network, quota, volumes

VOLUMES = volumes.FAMILY.routes[0]
QUOTA = quota.FAMILY.routes[0]


def test_calls_are_booked_to_their_family_and_leave_the_window_after_an_hour() -> None:
    calls = HourlyCalls([quota.FAMILY, volumes.FAMILY, network.FAMILY])
    assert calls.book({(VOLUMES, 200): 2, (QUOTA, 200): 1, ("/cloud/project", 200): 1}, now=0.0) == {
        "volumes": 2,
        "quota": 1,  # network lists the quota route too, and reads the quota's record
        "other": 1,
    }
    later = calls.book(
        {(VOLUMES, 200): 3, (VOLUMES, 500): 1, (QUOTA, 200): 1, ("/cloud/project", 200): 1}, 1800.0
    )
    assert later == {"volumes": 4, "quota": 1, "other": 1}
    assert calls.book(
        {(VOLUMES, 200): 3, (VOLUMES, 500): 1, (QUOTA, 200): 1, ("/cloud/project", 200): 1}, 3600.0
    ) == {"volumes": 2}
    assert summary(later) == "volumes 4, quota 1, other 1"
