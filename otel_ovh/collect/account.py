"""The account-wide families (``Family.account``): fetched once per refresh, before the projects, whose
families may read their records (``Scope.records``).

A failure keeps the last good record (none at all when no read has succeeded yet) and is logged once per
outage; the projects do not suffer from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from otel_ovh.collect.outages import OutageLog
from otel_ovh.collect.snapshot import SnapshotStore
from otel_ovh.families.base import Family
from otel_ovh.ovh.client import ApiError
from otel_ovh.ovh.fields import Problems

Fetch = Callable[[Family[Any]], tuple[object, Problems]]  # one family's outcome: a record or an ApiError
Book = Callable[[str, Problems], None]  # counts the unreadable values of a source
LogFailure = Callable[[str, str, ApiError], None]  # (outage key, message, error)


def refresh_account(
    families: Iterable[Family[Any]],
    fetch: Fetch,
    store: SnapshotStore,
    outages: OutageLog,
    report: tuple[Book, LogFailure],
    stopped: Callable[[], bool],
) -> None:
    """Fetch each account-wide family of ``families`` into ``store``, until ``stopped``."""
    book, log_failure = report
    for family in families:
        if not family.account or stopped():
            continue
        outcome, problems = fetch(family)
        book(f"account: {family.name}", problems)
        key = f"account/{family.name}"
        if isinstance(outcome, ApiError):
            log_failure(key, f"{family.name}: {outcome}", outcome)
        else:
            store.set_account(family, outcome)
            outages.recovered(key, f"{family.name} works again")
