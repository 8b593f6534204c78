"""Family ``catalog`` (account-wide): OVH's public Public Cloud price list, to price what is running now
and what advice would save.

``GET /order/catalog/public/cloud?ovhSubsidiary=..`` needs no authentication (``order.json``), so it is
sent unsigned. Hourly and monthly prices are separate addons of the plan ``project.2018``
(``b2-7.consumption``, ``b2-7.monthly.postpaid``), listed in its ``addonFamilies``; each addon's
``pricings[].price`` is in micro-cents (1e-8 of ``locale.currencyCode``). The list changes rarely and is
large, so it is read at start and then once a day (``READ_EVERY``); a failed read is tried again at the
next refresh.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from otel_ovh.families.attributes import BILLING, CURRENCY, SKU
from otel_ovh.families.base import Family, Kind, Metric, Point, Scope
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import Fields, Problems, iter_objects

ROUTE = "/order/catalog/public/cloud"
PLAN = "project.2018"  # the Public Cloud project's plan, whose addons are the priced products
UNIT = 1e8  # ``pricings[].price`` is in micro-cents: 1e-8 of the currency
READ_EVERY = 86_400.0  # seconds; the cadence a family declares will replace this
clock: Callable[[], float] = time.monotonic  # tests set it
# Plan-code endings that say how the addon bills (the pricing ``type`` is "consumption" for both).
_SUFFIXES = ((".monthly.postpaid", "monthly"), (".hour.consumption", "hourly"), (".consumption", "hourly"))


@dataclass(frozen=True, slots=True)
class Price:
    sku: str  # the flavor for instances, else the plan code's product part (``volume.classic``)
    billing: str  # "hourly" or "monthly"
    family: str  # OVH's addon family: instance, volume, floatingip...
    microcents: int

    @property
    def amount(self) -> float:
        return self.microcents / UNIT


@dataclass(frozen=True)
class PriceList:
    subsidiary: str
    currency: str
    prices: Mapping[tuple[str, str], Price]  # (sku, billing) -> price

    def amount(self, sku: str, billing: str) -> float | None:
        price = self.prices.get((sku, billing))
        return None if price is None else price.amount


def _billing(plan_code: str) -> tuple[str, str] | None:
    for suffix, billing in _SUFFIXES:
        if plan_code.endswith(suffix):
            return plan_code[: -len(suffix)], billing
    return None


def _addon_families(body: Fields) -> dict[str, str]:
    """Plan code -> addon family name, for the addons of the Public Cloud plan."""
    families: dict[str, str] = {}
    for plan in body.items("plans"):
        if plan.text("planCode") != PLAN:
            continue
        for family in plan.items("addonFamilies"):
            name = family.text("name") or ""
            codes = family.raw("addons")
            for code in codes if isinstance(codes, list) else ():
                if isinstance(code, str):
                    families[code] = name
    return families


def _microcents(addon: Fields) -> int | None:
    for pricing in addon.items("pricings"):
        price = pricing.number("price", minimum=0)
        if price is not None:
            return round(price)
    return None


def parse_catalog(body: object, problems: Problems, subsidiary: str) -> PriceList:
    """The prices of the Public Cloud addons; raises ``ApiError`` when the answer cannot price anything
    (no currency, no addons), so that the family counts as failed rather than empty."""
    fields = Fields(body, "catalog", problems)
    locale = fields.obj("locale")
    currency = locale.text("currencyCode") if locale else None
    if not currency or not isinstance(fields.raw("addons"), list):
        raise ApiError(ROUTE, 200, "answer without locale.currencyCode or addons: no price list")
    families = _addon_families(fields)
    prices: dict[tuple[str, str], Price] = {}
    for addon in iter_objects(fields.raw("addons"), "catalog.addons", problems):
        code = addon.text("planCode") or ""
        split = _billing(code)
        if code not in families or split is None:
            continue  # not a Public Cloud product, or billed some other way (a licence, a purchase)
        microcents = _microcents(addon)
        if microcents is None:
            problems.add(f"catalog addon {code}", "no readable pricings[].price")
            continue
        sku, billing = split
        prices[(sku, billing)] = Price(sku, billing, families[code], microcents)
    return PriceList(subsidiary, currency, prices)


class _Daily:
    """The last price list read per API client and subsidiary, and when: read again after a day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: weakref.WeakKeyDictionary[OvhApi, tuple[float, PriceList]] = weakref.WeakKeyDictionary()

    def fresh(self, api: OvhApi, subsidiary: str) -> PriceList | None:
        with self._lock:
            entry = self._read.get(api)
        if entry is None or entry[1].subsidiary != subsidiary or clock() - entry[0] >= READ_EVERY:
            return None
        return entry[1]

    def keep(self, api: OvhApi, prices: PriceList) -> None:
        with self._lock:
            self._read[api] = (clock(), prices)


DAILY = _Daily()


def _fetch(api: OvhApi, scope: Scope) -> PriceList:
    kept = DAILY.fresh(api, scope.subsidiary)
    if kept is not None:
        return kept
    body = api.get(ROUTE, query={"ovhSubsidiary": scope.subsidiary}, need_auth=False)  # public_routes
    prices = parse_catalog(body, scope.problems, scope.subsidiary)
    DAILY.keep(api, prices)
    return prices


def _list_prices(prices: PriceList) -> Iterable[Point]:
    for price in prices.prices.values():
        yield {SKU.key: price.sku, BILLING.key: price.billing, CURRENCY.key: prices.currency}, price.amount


FAMILY: Family[PriceList] = Family(
    name="catalog",
    routes=(ROUTE,),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.list_price",
            kind=Kind.GAUGE,
            unit="{currency}",
            description=(
                "OVH's public list price of a Public Cloud product, per unit of use: an instance flavor "
                "per hour (hourly) or per month (monthly); a volume type per GiB-hour or GiB-month; "
                "floating IPs, gateways, load balancers per hour or month; object storage per GiB-hour. "
                "Account-wide: no project labels."
            ),
            attributes=(SKU, BILLING, CURRENCY),
            source="`/order/catalog/public/cloud` (no authentication) `addons[].pricings[].price` / 1e8",
            points=_list_prices,
        ),
    ),
    account=True,
    public_routes=(ROUTE,),
    notes=(
        "`ovh_cloud_list_price`: `ovh_sku` is the flavor for instances (as in `ovh_cloud_instance_vcpus`) "
        "and the plan code's product part for the other products (`volume.high-speed-gen2`, "
        "`gateway.s`...). The catalog is read at start and once a day.",
    ),
)
