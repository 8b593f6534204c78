"""The account outside its projects, as the simulated ``/me`` and ``/services`` routes describe it: the
services (each project, and a dedicated server, an IP block and a domain), what each consumes this month
and in each closed month, the bills, the debt and the credit balances.

Everything is computed from the seed, the projects and the clock, so that it needs no stored state and
agrees with the projects' own routes: a project's consumption this month is, to the cent, the
``totalPrice`` of its ``usage/current`` (plus ``Project.consumption_gap``, which a test sets to see
OVH's two views disagree); its forecast is its ``usage/forecast`` total; a closed month is its
``usage/history/{id}`` total. Amounts are integer cents, as in billing.py.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from otel_ovh.simulator.billing import Window, usage_body
from otel_ovh.simulator.family import AccountView
from otel_ovh.simulator.meters import project_meters
from otel_ovh.simulator.model import Project
from otel_ovh.simulator.quirks import unrounded_snapshot_parts
from otel_ovh.simulator.timeutil import month_end, month_start

DAY = 86_400
PUBLIC_CLOUD = "publiccloud"  # resource.product.name of a Public Cloud project's service
BILL_MONTHS = 18  # months of bills the account has


@dataclass(frozen=True)
class Other:
    """A service that is not a Public Cloud project: its product, its name, what it consumes per month
    (cents, prorated over the month as it goes), and when it expires and is billed next."""

    key: str
    product: str
    description: str
    name: str
    display_name: str
    plan_code: str
    plan_family: str
    route: str  # the API path of the service, ``{serviceName}`` for its name
    monthly_cents: int
    renew_months: int  # 1: renewed every month; 12: every year
    renew_mode: str = "automatic"  # "manual": it expires unless renewed by hand


OTHERS = (
    Other(
        "server",
        "dedicated-server",
        "Dedicated server",
        "ns3091234.ip-51-91-12.eu",
        "ns3091234 (Rise-1)",
        "24rise01-bandwidth-1000",
        "bandwidth",
        "/dedicated/server/{serviceName}",
        1250,
        1,
    ),
    Other(
        "ip",
        "ip",
        "IP block",
        "ip-51.91.12.0/28",
        "51.91.12.0/28",
        "ip-v4-s28-ripe",
        "ip",
        "/ip/{ip}",
        800,
        1,
    ),
    Other(
        "domain",
        "domain",
        "Domain name",
        "finops-example.fr",
        "finops-example.fr",
        "fr-dns-anycast",
        "dns",
        "/domain/{serviceName}",
        125,
        12,
        "manual",
    ),
)


def service_id(*parts: object) -> int:
    """A stable service id (a schema ``long``), from what the service is."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode()).digest()
    return 100_000_000 + int.from_bytes(digest[:4], "big") % 900_000_000


def project_service(project: Project) -> int:
    return service_id("project", project.id)


def other_service(view: AccountView, other: Other) -> int:
    return service_id(view.seed, other.key)


def anchor(view: AccountView) -> int:
    """When the account's other services were ordered: with its first project, a month at the least."""
    first = min((p.created for p in view.projects), default=view.now)
    return min(first, view.now - 31 * DAY)


def expiry(view: AccountView, other: Other) -> int:
    """The service's next renewal: the anniversary of its order, every ``renew_months`` months."""
    start = datetime.fromtimestamp(anchor(view), UTC)
    now = datetime.fromtimestamp(view.now, UTC)
    months = (now.year - start.year) * 12 + now.month - start.month
    step = other.renew_months
    months = (months // step) * step
    while True:
        year, month = start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1
        moment = datetime(year, month, min(start.day, 28), tzinfo=UTC)
        if moment.timestamp() > view.now:
            return int(moment.timestamp())
        months += step


def prorated(cents: int, start: int, end: int, at: int) -> int:
    """``cents`` a month, for the part of the month [start, end) up to ``at``, to the cent."""
    return (cents * max(0, min(at, end) - start) * 2 + (end - start)) // (2 * (end - start))


def project_month(project: Project, now: int, *, forecast: bool = False) -> int:
    """The project's ``usage/current`` total this month (``usage/forecast`` with ``forecast``), in cents."""
    start, end = month_start(now), month_end(now)
    window = Window(start, end, now, end if forecast else now, unrounded_snapshot_parts(project))
    body = usage_body(project_meters(project), window, forecast=forecast)
    total: float = body["totalPrice"]["value"]
    return round(total * 100)


def project_closed(project: Project, start: int, end: int) -> int:
    """The project's total for the closed month [start, end), as its ``usage/history/{id}`` gives it."""
    if end <= month_end(project.created):
        return 0  # the project had no history yet: cost.closed_periods starts the month after creation
    body = usage_body(project_meters(project), Window(start, end, end, end))
    total: float = body["totalPrice"]["value"]
    return round(total * 100)


@dataclass(frozen=True)
class Bill:
    bill_id: str
    date: int
    category: str
    cents: int  # without tax
    order_id: int
    password: str


def bills(view: AccountView) -> list[Bill]:
    """One renewal bill on the 1st of each of the last ``BILL_MONTHS`` months, a purchase every third."""
    found: list[Bill] = []
    start = month_start(view.now)
    for back in range(BILL_MONTHS):
        moment = datetime.fromtimestamp(start, UTC)
        year, month = moment.year, moment.month - back
        while month < 1:
            year, month = year - 1, month + 12
        first = int(datetime(year, month, 1, 2, tzinfo=UTC).timestamp())
        if first > view.now:
            continue
        rng = random.Random(f"{view.seed}/bill/{year}-{month}")
        kinds = [("autorenew", 0)] + ([("purchase-servers", 3 * DAY)] if month % 3 == 0 else [])
        for index, (category, after) in enumerate(kinds):
            if first + after > view.now:
                continue
            number = (year % 100) * 1_000_000 + month * 10_000 + rng.randrange(1000, 9999) + index
            found.append(
                Bill(
                    f"FR{number}",
                    first + after,
                    category,
                    rng.randrange(2_000, 60_000),
                    rng.randrange(10**8, 10**9),
                    "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)),
                )
            )
    return sorted(found, key=lambda bill: bill.date)
