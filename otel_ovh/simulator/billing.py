"""Meters to `usage/current` and `usage/forecast` bodies.

Arithmetic (the invariant the product's tests assert):

* a meter's quantity is `rate x hours` between max(period start, its start) and min(until, its end),
  rounded to 4 decimals; `until` is now for usage/current and the period end for usage/forecast, so
  the forecast is the current usage extrapolated linearly to the end of the month;
* a meter's price is its rounded quantity times its unit price, rounded half up to the cent; monthly
  meters cost their monthly price prorated from max(activation, period start) to the period end;
  instances covered by a savings plan cost 0 (the plan is billed instead);
* every figure above a meter (a line's `totalPrice`, a storage line over its parts, a resourcesUsage
  type over its components, and the top-level `totalPrice`) is the integer sum in cents of the meters
  below it. So `sum(finest figures) == line totalPrice` and `sum(line totalPrices) == totalPrice.value`
  hold exactly to the cent, whichever of the two price encodings (money.py) a line uses.

Sections with no line at all are answered as `null`, as OVH may (a project that never used anything).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from otel_ovh.simulator.catalog import region_spec
from otel_ovh.simulator.ids import stable_uuid
from otel_ovh.simulator.model import Meter
from otel_ovh.simulator.money import as_double, as_price, cents_of, quantity, round_quantity, unit_price
from otel_ovh.simulator.timeutil import iso

Json = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """The billing period and the instants a body is rendered for (epoch seconds)."""

    start: int  # first instant of the period
    end: int  # first instant of the next period
    now: int  # resources started after now do not exist yet
    until: int  # quantities accrue up to here
    unrounded: bool = False  # snapshot parts unrounded under their row's cent (quirks.py)


@dataclass(frozen=True)
class Figure:
    meter: Meter
    quantity: float | None  # None on monthly meters: OVH gives them no quantity
    cents: int


@dataclass(frozen=True)
class Section:
    """How one meter kind is rendered: where its lines go and which keys they carry.

    Styles: `detailed` (a line per reference and region with `details[]`), `composite` (a line whose
    price is split in named sub-objects: snapshots, bandwidth, storage), `typed` (resourcesUsage: type,
    regions, components) and `plan` (savings plans).
    """

    path: tuple[str, ...]
    style: str = "detailed"
    label: str | None = "reference"
    ids: tuple[str, ...] = ()
    encode: Callable[[int], Any] = as_double
    quantity: bool = True
    regional: bool = True
    activation: bool = False
    prorated: bool = False
    savings_plans: bool = False
    parts: tuple[str, ...] = ()


SECTIONS: dict[str, Section] = {
    "hourly.instance": Section(
        ("hourlyUsage", "instance"), ids=("instanceId", "resourceId"), savings_plans=True
    ),
    "hourly.instanceOption": Section(("hourlyUsage", "instanceOption"), ids=("instanceId",)),
    "hourly.volume": Section(("hourlyUsage", "volume"), label="type", ids=("volumeId", "resourceId")),
    "hourly.mks": Section(
        ("hourlyUsage", "managedKubernetesService"), ids=("id", "resourceId"), encode=as_price
    ),
    "hourly.rancher": Section(
        ("hourlyUsage", "rancher"), ids=("rancherId", "resourceId"), encode=as_price, savings_plans=True
    ),
    "hourly.quantum.notebook": Section(
        ("hourlyUsage", "quantum", "notebook"), ids=("id", "resourceId"), encode=as_price
    ),
    "hourly.quantum.processingUnit": Section(
        ("hourlyUsage", "quantum", "processingUnit"), ids=("id", "resourceId"), encode=as_price
    ),
    "hourly.snapshot": Section(
        ("hourlyUsage", "snapshot"), "composite", label=None, parts=("instance", "volume")
    ),
    "hourly.instanceBandwidth": Section(
        ("hourlyUsage", "instanceBandwidth"),
        "composite",
        label=None,
        parts=("incomingBandwidth", "outgoingBandwidth"),
    ),
    "hourly.storage": Section(
        ("hourlyUsage", "storage"),
        "composite",
        label="type",
        parts=(
            "stored",
            "incomingBandwidth",
            "outgoingBandwidth",
            "incomingInternalBandwidth",
            "outgoingInternalBandwidth",
            "retrievalFees",
        ),
    ),
    "monthly.instance": Section(
        ("monthlyUsage", "instance"),
        ids=("instanceId", "resourceId"),
        quantity=False,
        activation=True,
        prorated=True,
    ),
    "monthly.instanceOption": Section(
        ("monthlyUsage", "instanceOption"), ids=("instanceId",), quantity=False, prorated=True
    ),
    "monthly.certification": Section(
        ("monthlyUsage", "certification"), quantity=False, regional=False, activation=True, prorated=True
    ),
    "monthly.savingsPlan": Section(("monthlyUsage", "savingsPlan"), "plan", label="flavor", encode=as_price),
}
TYPED = Section(("resourcesUsage",), "typed", label="type")
# Storage sub-objects whose price is an order.Price; the other parts are plain doubles.
PRICE_PARTS = frozenset({"retrievalFees"})


def section_of(kind: str) -> Section:
    """`resources.<type>` kinds all land in resourcesUsage; the others are in the table."""
    return TYPED if kind.startswith("resources.") else SECTIONS[kind]


def figure(meter: Meter, section: Section, window: Window) -> Figure | None:
    """The meter's quantity and price in this window, or None when it is not billed in it."""
    if meter.start > window.now or (meter.end is not None and meter.end <= window.start):
        return None
    begin = max(meter.start, window.start)
    if section.prorated:
        share = (window.end - begin) / (window.end - window.start)
        return Figure(meter, None, cents_of(share, meter.unit_price))
    stop = window.until if meter.end is None else min(window.until, meter.end)
    amount = round_quantity(meter.rate * max(0, stop - begin) / 3600)
    return Figure(meter, amount, 0 if meter.covered_by else cents_of(amount, meter.unit_price))


def deployment_mode(region: str | None) -> str | None:
    return region_spec(region).deployment_mode if region else None


def _total_quantity(figures: list[Figure]) -> Json:
    return quantity(figures[0].meter.unit, sum(f.quantity or 0.0 for f in figures))


def _head(section: Section, first: Meter) -> Json:
    line: Json = {}
    if section.label:
        line[section.label] = first.reference
    if section.regional:
        line["region"] = first.region
        line["deploymentMode"] = deployment_mode(first.region)
    return line


def _detailed(section: Section, figures: list[Figure], window: Window) -> Json:
    line = _head(section, figures[0].meter)
    if section.savings_plans:
        plans = sorted({f.meter.covered_by for f in figures if f.meter.covered_by})
        line["savingsPlanIds"] = plans or None
    if section.quantity:
        line["quantity"] = _total_quantity(figures)
    line["totalPrice"] = section.encode(sum(f.cents for f in figures))
    details = []
    for f in figures:
        detail: Json = dict.fromkeys(section.ids, f.meter.resource_id)
        if section.activation:
            detail["activation"] = iso(f.meter.start)
        if section.quantity:
            detail["quantity"] = quantity(f.meter.unit, f.quantity or 0.0)
        detail["totalPrice"] = section.encode(f.cents)
        details.append(detail)
    line["details"] = details
    return line


def _composite(section: Section, figures: list[Figure], window: Window) -> Json:
    first = figures[0].meter
    line = _head(section, first)
    storage = "stored" in section.parts
    if storage:
        line["bucketName"] = first.group
        line["deploymentMode"] = deployment_mode(first.region) if first.group else None  # Swift: no mode
    line["totalPrice"] = as_double(sum(f.cents for f in figures))
    for part in section.parts:
        mine = [f for f in figures if f.meter.part == part]
        if not mine:
            line[part] = None
            continue
        encode = as_price if part in PRICE_PARTS else as_double
        cents = sum(f.cents for f in mine)
        unrounded = window.unrounded and section.path[-1] == "snapshot"
        price = _unrounded(mine, cents) if unrounded else encode(cents)
        sub: Json = {"quantity": _total_quantity(mine), "totalPrice": price}
        if storage:
            sub["resourceIds"] = sorted({f.meter.group for f in mine if f.meter.group})
        line[part] = sub
    return line


def _unrounded(figures: list[Figure], cents: int) -> float:
    """The part's price before rounding, when its cent was rounded up: OVH bills a snapshot row 0.03
    over a part of 0.0297 (a captured answer), so the row's cent stays and the bill adds up as before."""
    exact = round(sum((f.quantity or 0.0) * f.meter.unit_price for f in figures if not f.meter.covered_by), 4)
    return exact if cents - 1 < exact * 100 < cents else as_double(cents)


def _typed(section: Section, figures: list[Figure], window: Window) -> Json:
    regions: dict[str, list[Json]] = {}
    for f in figures:
        regions.setdefault(f.meter.region or "", []).append(
            {
                "id": stable_uuid("component", f.meter.resource_id),
                "resourceId": f.meter.resource_id,
                "name": f.meter.reference,
                "quantity": quantity(f.meter.unit, f.quantity or 0.0),
                "totalPrice": as_double(f.cents),
            }
        )
    return {
        "type": figures[0].meter.kind.split(".", 1)[1],
        "totalPrice": as_double(sum(f.cents for f in figures)),
        "resources": [
            {"region": region, "deploymentMode": deployment_mode(region), "components": components}
            for region, components in regions.items()
        ],
    }


def plan_line(section: Section, figures: list[Figure], window: Window) -> Json:
    """A monthlyUsage.savingsPlan line; usage/plans shows the same as its flat fee
    (families/savings_plans.py)."""
    return {
        "flavor": figures[0].meter.reference,
        "totalPrice": as_price(sum(f.cents for f in figures)),
        "details": [
            {
                "id": f.meter.resource_id,
                "planName": f.meter.group,
                "period": {"from": iso(max(f.meter.start, window.start)), "to": iso(window.end)},
                "size": f.meter.rate,
                "unitPrice": unit_price(f.meter.unit_price),
                "totalPrice": as_price(f.cents),
            }
            for f in figures
        ],
    }


_RENDER: dict[str, Callable[[Section, list[Figure], Window], Json]] = {
    "detailed": _detailed,
    "composite": _composite,
    "typed": _typed,
    "plan": plan_line,
}


def _group_key(meter: Meter) -> tuple[str, str, str | None, str | None]:
    if meter.kind.startswith("resources."):
        return (meter.kind, "", None, None)
    if section_of(meter.kind).style == "plan":  # one line per flavor; a plan's name is its detail's
        return (meter.kind, meter.reference, meter.region, None)
    return (meter.kind, meter.reference, meter.region, meter.group)


def empty_sections() -> Json:
    return {
        "hourlyUsage": {
            "instance": [],
            "instanceBandwidth": [],
            "instanceOption": [],
            "snapshot": [],
            "storage": [],
            "volume": [],
            "managedKubernetesService": [],
            "rancher": [],
            "quantum": {"notebook": [], "processingUnit": []},
        },
        "monthlyUsage": {"instance": [], "instanceOption": [], "certification": [], "savingsPlan": []},
        "resourcesUsage": [],
    }


def usage_body(meters: Iterable[Meter], window: Window, *, forecast: bool = False) -> Json:
    """The usage/current body (or usage/forecast when `forecast`), exact to the cent (module doc)."""
    groups: dict[tuple[str, str, str | None, str | None], list[Figure]] = {}
    for meter in meters:
        section = section_of(meter.kind)
        fig = figure(meter, section, window)
        if fig is not None:
            groups.setdefault(_group_key(meter), []).append(fig)
    sections = empty_sections()
    used: set[str] = set()
    total = 0
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "", k[3] or "")):
        figures = groups[key]
        section = section_of(key[0])
        target: Any = sections
        for step in section.path:
            target = target[step]
        target.append(_RENDER[section.style](section, figures, window))
        used.add(section.path[0])
        total += sum(f.cents for f in figures)
    body: Json = {
        "period": {"from": iso(window.start), "to": iso(window.end if forecast else window.now)},
        "lastUpdate": iso(window.now),
        **{name: value if name in used else None for name, value in sections.items()},
        "totalPrice": as_price(total),
    }
    return body
