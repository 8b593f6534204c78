"""The account-wide families (``Family.account``): fetched once per refresh, before the projects, whose
families may read their records (``Scope.records``).

A failure keeps the last good record (none at all when no read has succeeded yet) and is logged once per
outage; the projects do not suffer from it. A family the key is not permitted to read (OVH's 403,
``ApiError.not_permitted``) is said once, at WARNING, with the route refused; its series go, and it makes
no more call until the process reloads (a new refresher, with new settings or credentials, tries again):
asking again every refresh would only fill OVH's logs with refusals.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)


def refresh_account(
    families: Iterable[Family[Any]],
    fetch: Fetch,
    store: SnapshotStore,
    outages: OutageLog,
    report: tuple[Book, LogFailure],
    stopped: Callable[[], bool],
    denied: set[str],
) -> None:
    """Fetch each account-wide family of ``families`` into ``store``, until ``stopped``; those in ``denied``
    (not permitted, said once) are skipped, and a family found not permitted joins them."""
    book, log_failure = report
    for family in families:
        if not family.account or stopped() or family.name in denied:
            continue
        outcome, problems = fetch(family)
        book(f"account: {family.name}", problems)
        key = f"account/{family.name}"
        if isinstance(outcome, ApiError) and outcome.not_permitted:
            denied.add(family.name)
            store.account_failed(family, f"not permitted: GET {outcome.route}", drop=True)
            log.warning(
                "%s: not permitted: the key may not call GET %s (%s); its series are left out and it makes "
                "no more OVH call until a reload (otel-ovh login asks for the rights it needs; or leave "
                "%s out of collect.families)",
                family.name,
                outcome.route,
                outcome.error_code or outcome.status,
                family.name,
            )
        elif isinstance(outcome, ApiError):
            store.account_failed(family, str(outcome))
            log_failure(key, f"{family.name}: {outcome}", outcome)
        else:
            store.set_account(family, outcome)
            outages.recovered(key, f"{family.name} works again")
