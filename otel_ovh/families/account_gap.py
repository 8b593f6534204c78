"""Family ``account_gap`` (no OVH call): OVH's two views of a Public Cloud project's spend this period,
compared. The account's consumption (``/me/consumption/usage/current``, the ``account`` family) names the
project as a service (its ``resource.name`` is the project's id); the project's own ``usage/current`` (the
``cost`` family) gives its total. They should agree; ``ovh_account_cost_gap`` is the first minus the
second, 0 when they do, so that a dashboard panel and an alert show when they do not.

No series when either view is missing (a family off, failing, or the key not permitted the account's
routes), when the account does not list the project as a service, or when the two are of different
billing periods (around the first of the month, one may have turned before the other).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from otel_ovh.families import account, cost
from otel_ovh.families.attributes import CURRENCY
from otel_ovh.families.base import Family, Kind, Metric, Point, Scope
from otel_ovh.ovh.client import OvhApi

SAME_PERIOD = 86_400.0  # seconds: OVH writes the period's start in its own time zone, less than a day off


@dataclass(frozen=True, slots=True)
class Gap:
    currency: str
    amount: float  # the account's consumption of the project minus the project's usage total


def _fetch(_: OvhApi, scope: Scope) -> Gap | None:
    ledger = scope.records.get(account.FAMILY)
    usage = scope.records.get(cost.FAMILY)
    if ledger is None or usage is None:
        return None
    if not any(service.name == scope.project_id for service in ledger.services.values()):
        return None  # the account does not list the project (yet): nothing to compare
    starts = (ledger.period_start, usage.period_start)
    if starts[0] is not None and starts[1] is not None and abs(starts[0] - starts[1]) >= SAME_PERIOD:
        return None
    total = usage.total if usage.total is not None else sum(charge.price for charge in usage.charges)
    costs = ledger.cost_of(scope.project_id)
    currency = usage.currency or next((c.currency for c in costs), None)
    if currency is None:
        return None
    consumed = sum(c.amount for c in costs if c.currency in (currency, "unknown"))
    return Gap(currency, round(consumed - total, 8))


def _gap(gap: Gap | None) -> Iterable[Point]:
    if gap is not None:
        yield {CURRENCY.key: gap.currency}, gap.amount


FAMILY: Family[Gap | None] = Family(
    name="account_gap",
    routes=(),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.account.cost.gap",
            kind=Kind.GAUGE,
            unit="{currency}",
            description=(
                "The project's cost this period as the account's consumption gives it, minus its own "
                "usage total: 0 when OVH's two views agree. Signed."
            ),
            attributes=(CURRENCY,),
            source="`/me/consumption/usage/current` (family account) minus `usage/current` `totalPrice` "
            "(family cost)",
            points=_gap,
        ),
    ),
    uses=(cost.FAMILY.name, account.FAMILY.name),
    notes=(
        "`ovh_account_cost_gap`: absent while either view is missing or their periods differ; a 2024-era "
        "usage answer without `totalPrice` is compared by the sum of its lines.",
    ),
)
