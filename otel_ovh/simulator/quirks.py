"""Which projects answer the quirks captured live answers show (tests/data/captured/README.md).

The product's parsers already read each quirk from a captured body; the simulator serves them too, on
some projects chosen by index (deterministic for a seed, like network.py's upper-case statuses), so the
product is shown to read them end to end, and the rest of the world keeps the plain shapes:

* ``usage/plans`` dates with milliseconds and a ``Z`` (``2025-04-01T00:00:00.000Z``) on even projects;
* snapshot rows of ``usage/current`` whose part is the unrounded price (``0.0297``) under a row
  rounded to the cent above it (``0.03``) on projects whose index is 2 modulo 3 (modern ones): the
  row keeps its cents, so the rows still add up to the top-level ``totalPrice`` as OVH's do.
"""

from __future__ import annotations

from datetime import UTC, datetime

from otel_ovh.simulator.model import Project
from otel_ovh.simulator.timeutil import iso


def millisecond_dates(project: Project) -> bool:
    return project.index % 2 == 0


def unrounded_snapshot_parts(project: Project) -> bool:
    return project.index % 3 == 2


def iso_millis(ts: int) -> str:
    """``2025-04-02T11:33:03.000Z``: the spelling of ``usage/plans`` dates in a captured answer."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def plan_date(project: Project, ts: int) -> str:
    """A ``usage/plans`` date as ``project`` spells it."""
    return iso_millis(ts) if millisecond_dates(project) else iso(ts)
