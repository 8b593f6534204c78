"""Family ``credits``: per credit (voucher, goodwill), what is left, what was granted, when it expires.

FinOps plans against credits: what is left is money not yet spent, and an expiry is a deadline to use
it. ``credit`` lists the ids (``long[]``), ``credit/{id}`` gives ``cloud.Credit``; its amounts are
``order.Price`` objects (never null, per the schema) and ``validity`` and its dates are nullable. A
project without credits is normal: an empty list, no series, not a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from otel_ovh.families.attributes import CREDIT_ID, CURRENCY
from otel_ovh.families.base import HOURLY, PROJECT, Column, Family, Kind, Metric, Point, Scope, money
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import Fields, Problems

LIST = PROJECT + "/credit"
DETAIL = PROJECT + "/credit/{id}"
_GONE = frozenset({404})  # a credit removed between the list and its detail


@dataclass(frozen=True, slots=True)
class Credit:
    id: str
    description: str
    available: float | None
    granted: float | None
    currency: str | None
    expires: float | None  # epoch seconds; None: no end date given


_ID_END = 2**63  # OVH's ids are 64-bit: a longer number is no id, and would make a route of 400 digits


def parse_credit_ids(body: object, problems: Problems) -> list[str]:
    if not isinstance(body, list):
        problems.add("credit", "expected a list of credit ids")
        return []
    ids = [
        str(item)
        for item in body
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item < _ID_END
    ]
    if len(ids) < len(body):
        problems.add("credit", f"{len(body) - len(ids)} id(s) that are not whole numbers dropped")
    return ids


def parse_credit(body: object, problems: Problems, credit_id: str) -> Credit:
    fields = Fields(body, f"credit/{credit_id}", problems)
    available, available_currency = fields.price("available_credit")
    granted, granted_currency = fields.price("total_credit")
    validity = fields.obj("validity")
    return Credit(
        id=credit_id,
        description=fields.text("description") or "",
        available=available,
        granted=granted,
        currency=available_currency or granted_currency,
        expires=validity.timestamp("to") if validity is not None else None,
    )


def _fetch(api: OvhApi, scope: Scope) -> tuple[Credit, ...]:
    credits = []
    for credit_id in parse_credit_ids(api.get(LIST, scope.params()), scope.problems):
        try:
            body = api.get(DETAIL, scope.params(id=credit_id))
        except ApiError as error:
            if error.status in _GONE:
                continue
            raise
        credits.append(parse_credit(body, scope.problems, credit_id))
    return tuple(credits)


def _amount(which: str) -> Callable[[tuple[Credit, ...]], Iterable[Point]]:
    def points(credits: tuple[Credit, ...]) -> Iterable[Point]:
        for c in credits:
            value = c.available if which == "available" else c.granted
            if value is not None:
                yield {CREDIT_ID.key: c.id, CURRENCY.key: c.currency or "unknown"}, value

    return points


def _expiry(credits: tuple[Credit, ...]) -> Iterable[Point]:
    for c in credits:
        if c.expires is not None:
            yield {CREDIT_ID.key: c.id}, c.expires


def _left(credits: tuple[Credit, ...] | None) -> str:
    return _left_in_all([credits])


def _left_in_all(credits: Sequence[tuple[Credit, ...] | None]) -> str:
    return money((c.available, c.currency) for cs in credits for c in cs or () if c.available is not None)


def _with_currency(credits: tuple[Credit, ...], currency: str) -> tuple[Credit, ...]:
    return tuple(c if c.currency else replace(c, currency=currency) for c in credits)


FAMILY: Family[tuple[Credit, ...]] = Family(
    name="credits",
    routes=(LIST, DETAIL),
    cadence=HOURLY,
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.credit.available",
            kind=Kind.GAUGE,
            unit="{currency}",
            description="What is left of each credit (voucher, goodwill), to be used on future bills.",
            attributes=(CREDIT_ID, CURRENCY),
            source="`credit` + `credit/{id}` (`available_credit`)",
            points=_amount("available"),
        ),
        Metric(
            name="ovh.cloud.credit.granted",
            kind=Kind.GAUGE,
            unit="{currency}",
            description="What each credit gave in all.",
            attributes=(CREDIT_ID, CURRENCY),
            source="`credit/{id}` (`total_credit`)",
            points=_amount("granted"),
        ),
        Metric(
            name="ovh.cloud.credit.expiry_timestamp",
            kind=Kind.GAUGE,
            unit="s",
            description=(
                "When each credit stops being usable, as a Unix timestamp; absent when OVH gives no end date."
            ),
            attributes=(CREDIT_ID,),
            source="`credit/{id}` (`validity.to`)",
            points=_expiry,
        ),
    ),
    columns=(Column("credits", _left, total=_left_in_all),),
    currency=lambda credits: next((c.currency for c in credits if c.currency), None),
    with_currency=_with_currency,
)
