"""The records of the ``account`` family and the parsing of the answers they come from (me.json and
services.json; docs/ovh-api.md §4.4): consumption per service, the services' names and dates, the bills,
the debt and the credit balances. Every read is forgiving: a value that cannot be read is reported in
``problems`` and dropped alone, and an item without its key (a bill id, a service id) is dropped whole.

What is kept is never a secret: a bill's ``password``, ``url`` and ``pdfUrl`` are not read at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from otel_ovh.ovh.fields import Fields, Problems, iter_objects

_ID_END = 2**63  # a schema ``long``: a longer number is no id


@dataclass(frozen=True, slots=True)
class Cost:
    """What a service costs this period (or is forecast to), per offer family, in one currency."""

    service_id: str
    plan_family: str
    currency: str
    amount: float


@dataclass(frozen=True, slots=True)
class Service:
    service_id: str
    name: str  # ``resource.name``: a Public Cloud project's id
    product: str  # ``resource.product.name`` ("" when OVH gives no product)
    expires: float | None  # ``billing.expirationDate``, epoch seconds; None: it does not expire
    next_billing: float | None  # ``billing.nextBillingDate``
    renew_mode: str = ""  # ``billing.renew.current.mode``: "automatic", "manual", or "" when OVH gives none


@dataclass(frozen=True, slots=True)
class Bill:
    bill_id: str
    date: float | None
    category: str
    amount: float | None  # ``priceWithoutTax``
    currency: str


@dataclass(frozen=True, slots=True)
class Debt:
    currency: str
    due: float | None
    pending: float | None


@dataclass(frozen=True, slots=True)
class Balance:
    name: str
    kind: str  # BONUS, DEPOSIT, PREPAID_ACCOUNT, VOUCHER
    currency: str
    amount: float | None
    next_expiring: float | None  # the amount of the entry that expires first
    next_expiry: float | None  # and when, epoch seconds


def ids(body: object, where: str, problems: Problems) -> list[str]:
    """A list of ids (``long[]`` or ``string[]``), as text; anything else in it is dropped and reported."""
    if not isinstance(body, list):
        problems.add(where, "expected a list of ids")
        return []
    found = [
        str(item)
        for item in body
        if (isinstance(item, int) and not isinstance(item, bool) and 0 <= item < _ID_END)
        or (isinstance(item, str) and item and "/" not in item and item.isprintable())
    ]
    if len(found) < len(body):
        problems.add(where, f"{len(body) - len(found)} item(s) that are no id dropped")
    return list(dict.fromkeys(found))


def _price(fields: Fields, key: str, currency: str | None = None) -> tuple[float | None, str]:
    """``me.consumption.Price`` or ``order.Price``: the amount and its currency ("unknown" when OVH does not
    say: a series must not lose its label). A consumption price's ``valueInUcents`` is exact, so it wins
    over ``value``; an ``order.Price`` has none (its micro-cents are ``priceInUcents``, which may be null),
    so its ``value`` is read."""
    price = fields.obj(key) if isinstance(fields.raw(key), dict) else None  # ``price`` says what is wrong
    ucents = price.number("valueInUcents") if price is not None else None
    amount, named = fields.price(key)
    if ucents is not None:
        amount = ucents / 1e8
    return amount, named or currency or "unknown"


def parse_costs(body: object, where: str, problems: Problems) -> tuple[tuple[Cost, ...], float | None]:
    """The transactions of ``usage/current`` (or ``forecast``) summed per service, offer family and
    currency; and the period's start (the earliest ``beginDate``)."""
    sums: dict[tuple[str, str, str], float] = {}
    starts: list[float] = []
    for transaction in iter_objects(body, where, problems):
        service = transaction.text("serviceId", required=True)
        if not service:
            continue
        if (begin := transaction.timestamp("beginDate")) is not None:
            starts.append(begin)
        for element in transaction.items("elements"):
            amount, currency = _price(element, "price")
            if amount is None:
                continue
            if amount < 0:
                problems.add(f"{element.where}.price", f"negative amount {amount:g} dropped")
                continue
            key = (service, element.text("planFamily") or "", currency)
            sums[key] = sums.get(key, 0.0) + amount
    costs = tuple(
        Cost(s, family, currency, round(amount, 8)) for (s, family, currency), amount in sums.items()
    )
    return costs, min(starts, default=None)


def parse_service(body: object, service_id: str, problems: Problems) -> Service | None:
    fields = Fields(body, f"services/{service_id}", problems)
    resource, billing = fields.obj("resource"), fields.obj("billing")
    name = resource.text("name") if resource else None
    if not name:
        problems.add(fields.where, "no resource.name; service dropped")
        return None
    product = resource.obj("product") if resource else None
    return Service(
        service_id=service_id,
        name=name,
        product=(product.text("name") or "") if product else "",
        expires=billing.timestamp("expirationDate") if billing else None,
        next_billing=billing.timestamp("nextBillingDate") if billing else None,
        renew_mode=_renew_mode(billing),
    )


def _renew_mode(billing: Fields | None) -> str:
    renew = billing.obj("renew") if billing else None
    current = renew.obj("current") if renew else None
    mode = (current.text("mode") or "").lower() if current else ""
    return mode if mode in ("automatic", "manual") else ""


def parse_bill(body: object, bill_id: str, problems: Problems) -> Bill:
    fields = Fields(body, f"bill/{bill_id}", problems)
    amount, currency = _price(fields, "priceWithoutTax")
    return Bill(bill_id, fields.timestamp("date"), fields.text("category") or "", amount, currency)


def parse_debt(body: object, problems: Problems) -> Debt:
    fields = Fields(body, "debtAccount", problems)
    due, due_currency = _price(fields, "dueAmount")
    pending, pending_currency = _price(fields, "pendingAmount")
    return Debt(due_currency if due is not None else pending_currency, due, pending)


def parse_balance(body: object, name: str, problems: Problems) -> Balance:
    fields = Fields(body, f"credit/balance/{name}", problems)
    amount, currency = _price(fields, "amount")
    expiring = [
        (when, _price(part, "amount", currency)[0])
        for part in fields.items("expiring")
        if (when := part.timestamp("expirationDate")) is not None
    ]
    first = min(expiring, key=lambda entry: entry[0], default=None)
    return Balance(
        name=name,
        kind=fields.text("type") or "",
        currency=currency,
        amount=amount,
        next_expiring=first[1] if first else None,
        next_expiry=first[0] if first else None,
    )


@dataclass(frozen=True)
class Ledger:
    """The account's record: each part, and when the slower parts were last read (epoch seconds)."""

    period_start: float | None = None
    costs: tuple[Cost, ...] = ()
    forecast: tuple[Cost, ...] = ()
    services: Mapping[str, Service] = field(default_factory=dict)
    bills: Mapping[str, Bill] = field(default_factory=dict)
    debt: Debt | None = None
    balances: tuple[Balance, ...] = ()
    services_read: float | None = None
    hourly_read: float | None = None

    def cost_of(self, name: str) -> tuple[Cost, ...]:
        """This period's costs of the service named ``name`` (a project's id)."""
        wanted = {sid for sid, service in self.services.items() if service.name == name}
        return tuple(cost for cost in self.costs if cost.service_id in wanted)
