"""The ``account`` family's section of ``collect --format table``: one row per service of the account,
most expensive first, then the bills, the debt and the credit balances."""

from __future__ import annotations

from datetime import UTC, datetime

from otel_ovh.families.account_parts import Ledger
from otel_ovh.families.base import Section, money


def _day(when: float | None) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d") if when is not None else "-"


def section(ledger: Ledger) -> Section:
    """One row per service, most expensive first; then the bills, the debt and the credit balances."""
    spent: dict[str, list[tuple[float, str | None]]] = {}
    planned: dict[str, list[tuple[float, str | None]]] = {}
    for costs, into in ((ledger.costs, spent), (ledger.forecast, planned)):
        for cost in costs:
            into.setdefault(cost.service_id, []).append((cost.amount, cost.currency))
    ids = sorted(set(ledger.services) | set(spent), key=lambda sid: -sum(a for a, _ in spent.get(sid, [])))
    rows = []
    for sid in ids:
        service = ledger.services.get(sid)
        rows.append(
            (
                service.name if service else "?",
                service.product if service else "?",
                sid,
                money(spent.get(sid, [])),
                money(planned.get(sid, [])),
                _day(service.expires if service else None),
                _day(service.next_billing if service else None),
            )
        )
    bills = [(b.amount, b.currency) for b in ledger.bills.values() if b.amount is not None]
    notes = [
        f"total: {money(c for costs in spent.values() for c in costs)} this period, "
        f"{money(c for costs in planned.values() for c in costs)} forecast",
        f"bills: {len(ledger.bills)}, {money(bills)} without tax",
    ]
    if ledger.debt is not None:
        due, pending = ledger.debt.due or 0.0, ledger.debt.pending or 0.0
        currency = ledger.debt.currency
        notes.append(f"debt: {money([(due, currency)])} due, {money([(pending, currency)])} pending")
    for b in ledger.balances:
        expiring = (
            f", {money([(b.next_expiring, b.currency)])} of it expires {_day(b.next_expiry)}"
            if b.next_expiring is not None
            else ""
        )
        notes.append(f"credit {b.name} ({b.kind}): {money([(b.amount or 0.0, b.currency)])}{expiring}")
    return Section(
        f"account: {len(ids)} service(s)",
        ("service", "product", "id", "cost", "forecast", "expires", "next billing"),
        tuple(rows),
        ("<", "<", "<", ">", ">", "<", "<"),
        tuple(notes),
    )
