"""Family ``forecast``: OVH's estimate of what the billing period will cost in all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from otel_ovh.families.attributes import CURRENCY
from otel_ovh.families.base import HOURLY, PROJECT, Column, Family, Kind, Metric, Point, Scope, money
from otel_ovh.families.usage import parse_usage
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import Fields, Problems

ROUTE = PROJECT + "/usage/forecast"


@dataclass(frozen=True, slots=True)
class Forecast:
    total: float
    currency: str | None
    usable_credits: float | None = None  # credits OVH will take off the next bill; None: none offered


def parse_forecast(body: object, problems: Problems) -> Forecast | None:
    """OVH's own total when given, else the sum of its lines (older answers carry lines only)."""
    fields = Fields(body, "forecast", problems)
    credits = fields.obj("usableCredits")  # null on projects without credit, absent on older answers
    usable = credits.number("totalCredit") if credits is not None else None
    total, currency = fields.price("totalPrice")
    if total is None:
        usage = parse_usage(body, Problems(), "forecast")
        if not usage.charges:
            problems.add("forecast", "no totalPrice and no priced line; forecast dropped")
            return None
        total = round(sum(charge.price for charge in usage.charges), 8)
        currency = usage.currency
    return Forecast(total=total, currency=currency, usable_credits=usable)


def _fetch(api: OvhApi, scope: Scope) -> Forecast | None:
    return parse_forecast(api.get(ROUTE, scope.params()), scope.problems)


def _total(forecast: Forecast | None) -> Iterable[Point]:
    if forecast is not None:
        yield {CURRENCY.key: forecast.currency or "unknown"}, forecast.total


def _usable_credits(forecast: Forecast | None) -> Iterable[Point]:
    if forecast is not None and forecast.usable_credits is not None:
        yield {CURRENCY.key: forecast.currency or "unknown"}, forecast.usable_credits


def _cell(forecast: Forecast | None) -> str:
    return _sum_of([forecast])


def _sum_of(forecasts: Sequence[Forecast | None]) -> str:
    return money((f.total, f.currency) for f in forecasts if f is not None)


FAMILY: Family[Forecast | None] = Family(
    name="forecast",
    routes=(ROUTE,),
    cadence=HOURLY,
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.cost.forecast",
            kind=Kind.GAUGE,
            unit="{currency}",
            description="OVH's estimate of the cost for the whole billing period.",
            attributes=(CURRENCY,),
            source="`usage/forecast` `totalPrice` (sum of its lines on older answers)",
            points=_total,
        ),
        Metric(
            name="ovh.cloud.cost.forecast.usable_credits",
            kind=Kind.GAUGE,
            unit="{currency}",
            description=(
                "Credits OVH expects to take off the billing period's bill (absent when none is usable)."
            ),
            attributes=(CURRENCY,),
            source="`usage/forecast` `usableCredits.totalCredit`",
            points=_usable_credits,
        ),
    ),
    columns=(Column("forecast", _cell, total=_sum_of),),
    currency=lambda forecast: forecast.currency if forecast else None,
    with_currency=lambda forecast, c: (
        replace(forecast, currency=forecast.currency or c) if forecast else None
    ),
)
