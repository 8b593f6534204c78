"""Credits (vouchers) of a project: ``credit``, ``credit/{id}`` (``cloud.Credit``), and the forecast's
``usableCredits`` that follows from them.

Consistent with the rest of the account: what a credit has left is what it was granted less what past
bills used; the forecast offers each credit valid at the period's end, soonest expiring first, up to
the forecast's total, so ``usableCredits.totalCredit`` never exceeds the credits left or the bill.
"""

from __future__ import annotations

import random

from otel_ovh.simulator.errors import not_found
from otel_ovh.simulator.family import Family, Json
from otel_ovh.simulator.generate import Generator
from otel_ovh.simulator.model import Credit, Project
from otel_ovh.simulator.money import as_double, as_price
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso

DAY = 86_400


def credit_ids(credits: list[Credit], now: int) -> list[int]:
    return [c.id for c in credits if c.granted_at <= now]


def credit_body(credits: list[Credit], credit_id: str, now: int) -> Json:
    credit = next((c for c in credits if str(c.id) == credit_id and c.granted_at <= now), None)
    if credit is None:
        raise not_found()
    return {
        "id": credit.id,
        "description": credit.description,
        "voucher": credit.voucher,
        "bill": credit.bill,
        "products": credit.products,
        "total_credit": as_price(credit.total_cents),
        "used_credit": as_price(credit.used_cents),
        "available_credit": as_price(credit.total_cents - credit.used_cents),
        "validity": {
            "from": iso(credit.valid_from) if credit.valid_from is not None else None,
            "to": iso(credit.valid_to) if credit.valid_to is not None else None,
        }
        if credit.valid_from is not None or credit.valid_to is not None
        else None,
    }


def usable_credits(credits: list[Credit], bill_cents: int, at: int) -> Json | None:
    """``usableCredits`` of a forecast totalling ``bill_cents`` at period end ``at``; None without credit."""
    valid = [
        c
        for c in credits
        if c.granted_at <= at and c.total_cents > c.used_cents and (c.valid_to is None or c.valid_to >= at)
    ]
    if not valid:
        return None
    details: list[Json] = []
    left = bill_cents
    for credit in sorted(valid, key=lambda c: (c.valid_to is None, c.valid_to or 0, c.id)):
        used = min(credit.total_cents - credit.used_cents, left)
        left -= used
        details.append(
            {"id": credit.id, "description": credit.description or "", "usedAmount": as_double(used)}
        )
    return {"totalCredit": as_double(bill_cents - left), "details": details}


def generate_credits(seed: int, index: int, created: int, now: int) -> list[Credit]:
    """Half the projects hold credits: a voucher with an expiry, and a credit that never expires or one
    about to (on some, also one that has expired). Drawn from their own random stream, so the rest of
    the world is unchanged."""
    if index % 2:
        return []
    rng = random.Random(f"{seed}/credits/{index}")
    granted = max(created, now - rng.randint(10, 200) * DAY)
    total = rng.randrange(5_000, 30_000)
    credits = [
        Credit(
            id=rng.randrange(10**6, 10**7),
            description="Public Cloud voucher",
            total_cents=total,
            used_cents=rng.randrange(0, total // 2),
            granted_at=granted,
            valid_from=granted,
            valid_to=now + rng.randint(20, 400) * DAY,
            voucher=f"PCV-{rng.randrange(10**5, 10**6)}",
            products=["publicCloudProject"],
        )
    ]
    if index % 4 == 0:  # goodwill that never expires
        credits.append(
            Credit(credits[0].id + 1, None, rng.randrange(1_000, 5_000), 0, granted, None, None, bill=None)
        )
    else:  # a welcome credit about to expire, and on some projects one that has expired
        total = rng.randrange(1_000, 5_000)
        credits.append(
            Credit(credits[0].id + 1, "Welcome credit", total, total // 3, granted, granted, now + 12 * DAY)
        )
        if index % 8 == 6:
            credits.append(Credit(credits[0].id + 2, "Event credit", 2_000, 500, granted, granted, now - DAY))
    return credits


def populate(generator: Generator, project: Project, now: int, empty: bool) -> None:
    project.credits = generate_credits(generator.seed, project.index, project.created, now)


FAMILY = Family(
    routes={
        f"{P}/credit": lambda v, a, q: credit_ids(v.p.credits, v.now),
        f"{P}/credit/{{id}}": lambda v, a, q: credit_body(v.p.credits, a["id"], v.now),
    },
    populate=populate,
)
