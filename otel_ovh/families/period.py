"""The billing period every family means by "this period": OVH's own, from ``usage/current``.

OVH writes the period's start in its own time zone (``2025-10-01T00:00:00+02:00``), so a family that
decided "this month" from the local UTC clock would disagree with the cost family for hours around the
first of the month: about which deleted Kubernetes node is still billed, and which month of
``usage/plans`` to ask for. Families that need the period use the ``cost`` family's record of the same
refresh (``Family.uses``); only when it has none (cost is off, or failed) does the calendar month in UTC
stand in, and that is said once per process, at INFO: with cost off it is the user's choice, and with
cost failing, that failure is the line to read (an outage stays one warning).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from otel_ovh.families import cost
from otel_ovh.families.base import Scope

log = logging.getLogger(__name__)

clock: Callable[[], float] = time.time  # the fallback's "now"; tests set it
USES = (cost.FAMILY.name,)  # what a family reading the period declares in ``Family.uses``
_warned = threading.Event()


def period_start(scope: Scope) -> float:
    """The start of this billing period (epoch seconds), as OVH's ``usage/current`` gives it."""
    usage = scope.records.get(cost.FAMILY)
    if usage is not None and usage.period_start is not None:
        return usage.period_start
    if not _warned.is_set():
        _warned.set()
        log.info(
            "no billing period from OVH's usage/current (the cost family is off or has not answered): "
            "this period is taken as the calendar month in UTC"
        )
    moment = datetime.fromtimestamp(clock(), UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()


def billing_month(start: float) -> dict[str, str]:
    """The ``year`` and ``month`` query of ``usage/plans`` for the period starting at ``start``. The period
    starts on the 1st in OVH's time zone, less than a day from UTC, so a day later it is that month in
    UTC too."""
    moment = datetime.fromtimestamp(start, UTC) + timedelta(days=1)
    return {"year": str(moment.year), "month": str(moment.month)}
