"""The bill: OVH's ``usage/current`` answer, itemised per resource, in the units the metrics use.

Shared by the ``cost`` family (the month to date) and ``forecast`` (whose older answers carry lines
only). The shapes and their drift are those of docs/ovh-api.md §4.1 and §6 (schemas 2020, 2024, 2026):
nullable categories, two price encodings, monthly lines without quantity, Swift lines without a bucket
name, older bodies without ``totalPrice``, ``deploymentMode`` or ``resourceId``. Nothing here raises:
what cannot be read is reported to ``Problems`` and dropped alone.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from otel_ovh.ovh.fields import GIB, OUT_OF_RANGE, Fields, Problems


@dataclass(frozen=True, slots=True)
class Charge:
    """One priced line of a bill, at the finest level OVH gives (an instance, a volume, a bucket)."""

    region: str
    service: str
    sku: str
    resource_id: str
    billing: str  # "hourly" or "monthly"
    price: float


@dataclass(frozen=True, slots=True)
class Consumption:
    """A measured quantity behind a charge: seconds of running, or byte×seconds of storage."""

    region: str
    service: str
    sku: str
    resource_id: str
    billing: str
    unit: str  # "seconds" or "byte_seconds"
    value: float


@dataclass(frozen=True, slots=True)
class Transfer:
    region: str
    service: str
    resource_id: str
    direction: str  # "receive" or "transmit"
    scope: str  # "external" or "internal"
    bytes: float


@dataclass(frozen=True, slots=True)
class Usage:
    """Month-to-date consumption from ``usage/current``."""

    period_start: float | None  # epoch seconds
    currency: str | None
    total: float | None  # OVH's own total, when the answer has one (newer shape)
    charges: tuple[Charge, ...]
    consumption: tuple[Consumption, ...]
    transfers: tuple[Transfer, ...]
    last_update: float | None = None  # epoch seconds: when OVH last computed these figures


@dataclass(frozen=True)
class _DetailedSection:
    """A usage section whose lines break down into per-resource ``details``."""

    path: tuple[str, ...]
    service: str
    billing: str
    sku_key: str
    id_keys: tuple[str, ...]  # first one present names the resource; instance ids match the inventory


_DETAILED_SECTIONS = (
    _DetailedSection(
        ("hourlyUsage", "instance"), "instance", "hourly", "reference", ("instanceId", "resourceId")
    ),
    _DetailedSection(
        ("hourlyUsage", "instanceOption"),
        "instance_option",
        "hourly",
        "reference",
        ("instanceId", "resourceId"),
    ),
    _DetailedSection(("hourlyUsage", "volume"), "volume", "hourly", "type", ("volumeId", "resourceId")),
    _DetailedSection(
        ("hourlyUsage", "managedKubernetesService"), "kubernetes", "hourly", "reference", ("id", "resourceId")
    ),
    _DetailedSection(
        ("hourlyUsage", "rancher"), "rancher", "hourly", "reference", ("rancherId", "resourceId")
    ),
    _DetailedSection(
        ("hourlyUsage", "quantum", "notebook"),
        "quantum_notebook",
        "hourly",
        "reference",
        ("id", "resourceId"),
    ),
    _DetailedSection(
        ("hourlyUsage", "quantum", "processingUnit"),
        "quantum_processing_unit",
        "hourly",
        "reference",
        ("id", "resourceId"),
    ),
    _DetailedSection(
        ("monthlyUsage", "instance"), "instance", "monthly", "reference", ("instanceId", "resourceId")
    ),
    _DetailedSection(
        ("monthlyUsage", "instanceOption"), "instance_option", "monthly", "reference", ("instanceId",)
    ),
    _DetailedSection(("monthlyUsage", "certification"), "certification", "monthly", "reference", ()),
    _DetailedSection(("monthlyUsage", "savingsPlan"), "savings_plan", "monthly", "flavor", ("id",)),
)

# (storage line field, direction, network scope)
_STORAGE_TRANSFERS = (
    ("incomingBandwidth", "receive", "external"),
    ("outgoingBandwidth", "transmit", "external"),
    ("incomingInternalBandwidth", "receive", "internal"),
    ("outgoingInternalBandwidth", "transmit", "internal"),
)
_STORAGE_PRICED_PARTS = ("stored", "retrievalFees", *(field for field, _, _ in _STORAGE_TRANSFERS))

# OVH quantity units -> (our unit, factor). Base units, as Prometheus asks: hours of use become seconds,
# GiB-hours of storage become byte-seconds.
_QUANTITY_UNITS = {
    "Hour": ("seconds", 3600.0),
    "Minute": ("seconds", 60.0),
    "Second": ("seconds", 1.0),
    "GiBh": ("byte_seconds", float(GIB) * 3600),
    "GiB": ("bytes", float(GIB)),
    "Unit": (None, 0.0),
}

# Below this, two amounts are the same figure written twice (OVH rounds line totals to 1e-8 at most).
_PRICE_EPSILON = 1e-7
_CENT = 0.01  # the step OVH rounds its prices to

_Key = tuple[str, str, str, str, str]


class _Bill:
    """Adds up charges and quantities per label set, so that a resource named twice is one series."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.charges: dict[_Key, float] = defaultdict(float)
        self.consumption: dict[tuple[str, str, str, str, str, str], float] = defaultdict(float)
        self.transfers: dict[tuple[str, str, str, str, str], float] = defaultdict(float)
        self.currencies: list[str] = []

    def price(self, fields: Fields, key: str = "totalPrice") -> float | None:
        amount, currency = fields.price(key)
        if currency:
            self.currencies.append(currency)
        return amount

    def charge(self, key: _Key, amount: float | None) -> None:
        if amount is not None:
            self.charges[key] += amount

    def finite(self) -> None:
        """Drop sums that overflowed (absurd amounts add up to infinity); a metric must stay a number."""
        tables: tuple[dict[Any, float], ...] = (self.charges, self.consumption, self.transfers)
        for table in tables:
            for key in [k for k, v in table.items() if not math.isfinite(v)]:
                self.problems.add("usage", f"amount for {key} is not a finite number; dropped", OUT_OF_RANGE)
                del table[key]

    def consume(self, key: _Key, quantity: Fields | None) -> bool:
        """Record a quantity; False when there is none to record (absent, unit-less or a count)."""
        if quantity is None:
            return False
        unit, value = quantity.text("unit"), quantity.number("value")
        if unit is None or value is None:
            return False
        if unit not in _QUANTITY_UNITS:
            self.problems.add(quantity.where, f"unknown unit {unit!r}, quantity dropped")
            return False
        our_unit, factor = _QUANTITY_UNITS[unit]
        if our_unit in ("seconds", "byte_seconds"):
            self.consumption[(*key, our_unit)] += value * factor
            return True
        return False

    def transfer(
        self, region: str, service: str, resource: str, direction: str, scope: str, quantity: Fields | None
    ) -> None:
        if quantity is None:
            return
        unit, value = quantity.text("unit"), quantity.number("value")
        if unit != "GiB" or value is None:
            if value is not None:
                self.problems.add(quantity.where, f"bandwidth in {unit!r}, expected GiB; dropped")
            return
        self.transfers[(region, service, resource, direction, scope)] += value * GIB

    def total_or_parts(self, line: Fields, parts: Iterable[Fields | None]) -> float | None:
        """A line's total, or the sum of its priced parts when OVH leaves the total out."""
        total = self.price(line)
        if total is None:
            prices = [p for p in (self.price(part) for part in parts if part is not None) if p is not None]
            total = sum(prices) if prices else None
        return total


class _Itemised:
    """The priced parts of one bill line, booked one by one, then checked against the line's own total."""

    def __init__(self, bill: _Bill) -> None:
        self.bill = bill
        self.parts: dict[_Key, float] = {}
        self.measured = False

    def part(self, key: _Key, fields: Fields) -> None:
        amount = self.bill.price(fields)
        if amount is not None:
            self.bill.charge(key, amount)
            self.parts[key] = self.parts.get(key, 0.0) + amount
        self.measured |= self.bill.consume(key, fields.obj("quantity"))

    def close(self, key: _Key, line: Fields) -> None:
        """Book what the line costs beyond its parts, so that the bill adds up to OVH's total.

        OVH rounds a line's total and each of its details on its own, so their difference moves by a cent
        or so either way between refreshes. That rounding goes to the line's largest part, a series that
        exists anyway: a series of its own would go negative, vanish and come back, each drop read by
        Prometheus as a counter reset. A cost beyond rounding that the details leave out is the line's
        own series (it grows with the line); details that exceed their line by more than rounding are
        OVH's inconsistency, folded the same way, and never taking a part below zero.
        """
        total = self.bill.price(line)
        if total is None:
            return
        if not self.parts:
            self.bill.charge(key, total)
        else:
            leftover = total - sum(self.parts.values())
            rounding = _CENT * (len(self.parts) + 1)  # half a cent per rounded figure, with room
            largest = max(self.parts, key=lambda part: (self.parts[part], part))
            if leftover > rounding:
                self.bill.charge(key, leftover)
            elif abs(leftover) > _PRICE_EPSILON and self.parts[largest] + leftover >= 0:
                self.bill.charge(largest, leftover)
        if not self.measured:
            self.bill.consume(key, line.obj("quantity"))


def _walk(body: Fields, path: tuple[str, ...]) -> Iterator[Fields]:
    node: Fields | None = body
    for key in path[:-1]:
        node = node.obj(key) if node else None
    if node is not None:
        yield from node.items(path[-1])


def _first_text(fields: Fields, keys: Iterable[str]) -> str:
    for key in keys:
        value = fields.text(key)
        if value:
            return value
    return ""


def _parse_detailed(bill: _Bill, body: Fields, section: _DetailedSection) -> None:
    for line in _walk(body, section.path):
        region = line.text("region") or ""
        sku = line.text(section.sku_key) or ""
        itemised = _Itemised(bill)
        for detail in line.items("details"):
            itemised.part(
                (region, section.service, sku, _first_text(detail, section.id_keys), section.billing), detail
            )
        itemised.close((region, section.service, sku, "", section.billing), line)


def _parse_snapshots(bill: _Bill, hourly: Fields) -> None:
    for line in hourly.items("snapshot"):
        region = line.text("region") or ""
        itemised = _Itemised(bill)
        for part in ("instance", "volume"):
            sub = line.obj(part)
            if sub is not None:
                itemised.part((region, "snapshot", part, "", "hourly"), sub)
        itemised.close((region, "snapshot", "", "", "hourly"), line)


def _parse_instance_bandwidth(bill: _Bill, hourly: Fields) -> None:
    for line in hourly.items("instanceBandwidth"):
        region = line.text("region") or ""
        parts = [(line.obj("incomingBandwidth"), "receive"), (line.obj("outgoingBandwidth"), "transmit")]
        total = bill.total_or_parts(line, (part for part, _ in parts))
        bill.charge((region, "instance_bandwidth", "bandwidth", "", "hourly"), total)
        for part, direction in parts:
            if part is not None:
                bill.transfer(region, "instance_bandwidth", "", direction, "external", part.obj("quantity"))


def _parse_storage(bill: _Bill, hourly: Fields) -> None:
    for line in hourly.items("storage"):
        region = line.text("region") or ""
        sku = line.text("type") or ""
        # Swift (pcs) lines name no bucket; they stay one series per storage type and region.
        bucket = line.text("bucketName") or ""
        total = bill.total_or_parts(line, (line.obj(name) for name in _STORAGE_PRICED_PARTS))
        key: _Key = (region, "storage", sku, bucket, "hourly")
        bill.charge(key, total)
        stored = line.obj("stored")
        if stored is not None:
            bill.consume(key, stored.obj("quantity"))
        for field, direction, scope in _STORAGE_TRANSFERS:
            part = line.obj(field)
            if part is not None:
                bill.transfer(region, "storage", bucket, direction, scope, part.obj("quantity"))


def _parse_typed_resources(bill: _Bill, body: Fields) -> None:
    for typed in body.items("resourcesUsage"):
        service = typed.text("type") or "other"
        itemised = _Itemised(bill)
        for resource in typed.items("resources"):
            region = resource.text("region") or ""
            for component in resource.items("components"):
                name, resource_id = component.text("name") or "", _first_text(component, ("resourceId", "id"))
                itemised.part((region, service, name, resource_id, "hourly"), component)
        itemised.close(("", service, "", "", "hourly"), typed)


def parse_usage(body: object, problems: Problems, where: str = "usage") -> Usage:
    fields = Fields(body, where, problems)
    bill = _Bill(problems)
    for section in _DETAILED_SECTIONS:
        _parse_detailed(bill, fields, section)
    hourly = fields.obj("hourlyUsage")
    if hourly is not None:
        _parse_snapshots(bill, hourly)
        _parse_instance_bandwidth(bill, hourly)
        _parse_storage(bill, hourly)
    _parse_typed_resources(bill, fields)
    bill.finite()

    total, total_currency = fields.price("totalPrice")
    period = fields.obj("period")
    currency = total_currency or (bill.currencies[0] if bill.currencies else None)
    return Usage(
        period_start=period.timestamp("from") if period else None,
        currency=currency,
        total=total,
        # Sums of float amounts carry binary noise (0.1 + 0.2); OVH's figures have at most 8 decimals.
        charges=tuple(Charge(*key, price=round(price, 8)) for key, price in bill.charges.items()),
        consumption=tuple(Consumption(*key, value=value) for key, value in bill.consumption.items()),
        transfers=tuple(Transfer(*key, bytes=value) for key, value in bill.transfers.items()),
        last_update=fields.timestamp("lastUpdate"),
    )
