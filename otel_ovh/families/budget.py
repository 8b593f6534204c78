"""Family ``budget``: the monthly threshold of the project's own OVH spend alert.

Many projects already have a budget, set where the money is: the spend alert of the OVH control panel,
which mails when the month's consumption passes a threshold. Reading it lets the shipped budget alerts
work for a project before anyone writes an ``ovh_cloud_budget`` rule for it.

``alerting`` lists the alerts' ids (``uuid[]``), ``alerting/{id}`` gives ``cloud.alerting.Alerting``:
``monthlyThreshold`` is a bare whole number in the account's currency, ``formattedMonthlyThreshold``
the same amount as an ``order.Price`` (which names the currency). Answers of 2024 (``cloud.Alerting``)
have neither ``service`` nor ``status``: every alert then watches the whole project and is active.

A project may have several alerts; the one series per project is the threshold OVH mails about first,
the lowest among those that watch the whole project (``service`` ``all``) and are not disabled or
deleted. An alert on one service (instances, storage…) compares part of the spend, not the bill, so it
is no budget for the project. A project without alerting is normal: an empty list, no series.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from otel_ovh.families.attributes import CURRENCY
from otel_ovh.families.base import HOURLY, PROJECT, Column, Family, Kind, Metric, Point, Scope, money
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import NEGATIVE, Fields, Problems

LIST = PROJECT + "/alerting"
DETAIL = PROJECT + "/alerting/{id}"
_GONE = frozenset({404})  # an alert deleted between the list and its detail
_WHOLE_PROJECT = "all"
_INACTIVE = frozenset({"disabled", "deleted"})
# An id goes into the next call's path: anything but a plain token (a UUID) could name another route.
_SAFE_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,99}")


@dataclass(frozen=True, slots=True)
class SpendAlert:
    id: str
    threshold: float | None  # None: the answer gave no readable amount
    currency: str | None
    service: str | None  # None: an answer without the field (2024 shape), which watched the whole project
    status: str | None  # None likewise: an alert OVH lists without a status is in force

    @property
    def sets_budget(self) -> bool:
        """An alert on one service, or one switched off, does not bound the project's bill."""
        return (
            self.threshold is not None
            and self.service in (None, _WHOLE_PROJECT)
            and self.status not in _INACTIVE
        )


def parse_alert_ids(body: object, problems: Problems) -> list[str]:
    if not isinstance(body, list):
        problems.add("alerting", "expected a list of alert ids")
        return []
    ids = [item for item in body if isinstance(item, str) and _SAFE_ID.fullmatch(item)]
    if len(ids) < len(body):
        problems.add("alerting", f"{len(body) - len(ids)} id(s) that are not plain identifiers dropped")
    return list(dict.fromkeys(ids))  # the same id listed twice is one alert


def parse_alert(body: object, problems: Problems, alert_id: str) -> SpendAlert:
    fields = Fields(body, f"alerting/{alert_id}", problems)
    formatted, currency = fields.price("formattedMonthlyThreshold")
    threshold = fields.number("monthlyThreshold")
    if threshold is None:  # the same amount, as a price: an answer missing one still has the other
        threshold = formatted
    if threshold is not None and threshold < 0:
        problems.add(
            f"alerting/{alert_id}.monthlyThreshold", f"negative threshold {threshold} dropped", NEGATIVE
        )
        threshold = None
    return SpendAlert(
        id=alert_id,
        threshold=threshold,
        currency=currency,
        service=fields.text("service"),
        status=fields.text("status"),
    )


def project_threshold(alerts: Iterable[SpendAlert]) -> SpendAlert | None:
    """The alert whose threshold OVH reaches first, among those that set the project's budget."""
    counted = [a for a in alerts if a.sets_budget]
    return min(counted, key=lambda a: (a.threshold, a.id)) if counted else None


def _fetch(api: OvhApi, scope: Scope) -> tuple[SpendAlert, ...]:
    alerts = []
    for alert_id in parse_alert_ids(api.get(LIST, scope.params()), scope.problems):
        try:
            body = api.get(DETAIL, scope.params(id=alert_id))
        except ApiError as error:
            if error.status in _GONE:
                continue
            raise
        alerts.append(parse_alert(body, scope.problems, alert_id))
    return tuple(alerts)


def _threshold(alerts: tuple[SpendAlert, ...]) -> Iterable[Point]:
    lowest = project_threshold(alerts)
    if lowest is not None and lowest.threshold is not None:
        yield {CURRENCY.key: lowest.currency or "unknown"}, lowest.threshold


def _cell(alerts: tuple[SpendAlert, ...] | None) -> str:
    lowest = project_threshold(alerts or ())
    if lowest is None or lowest.threshold is None:
        return "-"
    return money([(lowest.threshold, lowest.currency)])


def _with_currency(alerts: tuple[SpendAlert, ...], currency: str) -> tuple[SpendAlert, ...]:
    return tuple(a if a.currency else replace(a, currency=currency) for a in alerts)


FAMILY: Family[tuple[SpendAlert, ...]] = Family(
    name="budget",
    routes=(LIST, DETAIL),
    cadence=HOURLY,
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.spend.threshold",
            kind=Kind.GAUGE,
            unit="{currency}",
            description=(
                "The monthly threshold of the project's own OVH spend alert: the lowest among its alerts on "
                "the whole project's spend that are in force (not disabled or deleted); absent without one."
            ),
            attributes=(CURRENCY,),
            source="`alerting` + `alerting/{id}` (`monthlyThreshold`, `service`, `status`)",
            points=_threshold,
        ),
    ),
    columns=(Column("threshold", _cell),),
    currency=lambda alerts: next((a.currency for a in alerts if a.currency), None),
    with_currency=_with_currency,
)
