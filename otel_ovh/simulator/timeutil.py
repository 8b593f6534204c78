"""Billing-period arithmetic and the date formats OVH mixes.

The simulator bills in UTC calendar months: a period starts on the 1st at 00:00 UTC and ends when the
next one starts. Real OVH dates come in several spellings (`Z`, `+02:00`, with or without
microseconds); the simulator deliberately uses more than one so that clients must parse them all.
"""

from __future__ import annotations

from datetime import UTC, datetime


def month_start(ts: int) -> int:
    """Epoch seconds of the first instant of the UTC month containing `ts`."""
    d = datetime.fromtimestamp(ts, UTC)
    return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp())


def month_end(ts: int) -> int:
    """Epoch seconds of the first instant of the UTC month following the one containing `ts`."""
    d = datetime.fromtimestamp(ts, UTC)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp())


def iso(ts: int) -> str:
    """`2025-10-01T00:00:00+00:00`: the offset spelling most OVH backends use."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def iso_z(ts: int) -> str:
    """`2025-09-24T17:21:31Z`: the spelling of instance `created` dates."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(ts: int, micro: int) -> str:
    """`2021-03-04T10:11:12.558113+00:00`: dates with microseconds, as on project creation."""
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=micro % 1_000_000).isoformat()
