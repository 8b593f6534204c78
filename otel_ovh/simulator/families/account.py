"""The whole account, beside its projects: ``/me/consumption/usage/{current,forecast,history}``
(``me.consumption.Transaction[]``), ``/services`` and ``/services/{serviceId}``
(``services.expanded.Service``), ``/me/bill`` and ``/me/bill/{billId}`` (``billing.Bill``),
``/me/debtAccount`` (``debt.Balance``), ``/me/credit/balance`` and ``/me/credit/balance/{balanceName}``
(``me.credit.Balance``), as me.json and services.json describe them. None of them pages.

The figures come from ``simulator/account_data.py``: each project is a service whose consumption equals
its ``usage/current`` total, beside a dedicated server, an IP block and a domain. ``gap(cents)`` is the
change a test makes (``World.change``) for OVH's two views of a project to disagree.
"""

from __future__ import annotations

import random
from datetime import datetime

from otel_ovh.simulator import account_data as data
from otel_ovh.simulator.errors import not_found, service_error
from otel_ovh.simulator.family import AccountView, AddInstance, Autoscale, Family, Json, Query
from otel_ovh.simulator.model import Project
from otel_ovh.simulator.money import CURRENCY, as_price
from otel_ovh.simulator.timeutil import iso, month_end, month_start

ME = "/me"
SERVICES = "/services"
CONTACT = "xx12345-ovh"  # the account's nichandle


def ucents_price(cents: int) -> Json:
    """``me.consumption.Price``: the amount and the same in micro-cents (1e-8 of the currency)."""
    return {
        "currencyCode": CURRENCY,
        "text": f"{cents / 100:.2f} €",
        "value": cents / 100,
        "valueInUcents": cents * 1_000_000,
    }


def _element(plan_code: str, plan_family: str, cents: int, unique_id: str) -> Json:
    price = ucents_price(cents)
    return {
        "details": [{"price": price, "quantity": 1, "unique_id": unique_id}],
        "planCode": plan_code,
        "planFamily": plan_family,
        "price": price,
        "quantity": 1,
    }


def _transaction(service: int, elements: list[Json], start: int, end: int | None, now: int) -> Json:
    cents = sum(round(e["price"]["value"] * 100) for e in elements)
    return {
        "beginDate": iso(start),
        "creationDate": iso(start),
        "elements": elements,
        "endDate": None if end is None else iso(end),
        "id": None if end is None else data.service_id("transaction", service, start),
        "lastUpdate": iso(now if end is None else end),
        "price": ucents_price(cents),
        "serviceId": service,
    }


def _month(view: AccountView, *, forecast: bool) -> list[Json]:
    """This month's consumption (or its forecast) of every service that has any."""
    start, end = month_start(view.now), month_end(view.now)
    found = []
    for project in view.projects:
        cents = data.project_month(project, view.now, forecast=forecast)
        cents += 0 if forecast else project.consumption_gap
        element = _element(project.plan_code, "publiccloud", cents, project.id)
        found.append(_transaction(data.project_service(project), [element], start, None, view.now))
    for other in data.OTHERS:
        cents = other.monthly_cents if forecast else data.prorated(other.monthly_cents, start, end, view.now)
        element = _element(other.plan_code, other.plan_family, cents, other.name)
        found.append(_transaction(data.other_service(view, other), [element], start, None, view.now))
    return found


def _date(query: Query, name: str, *, required: bool = True) -> float | None:
    value = query.get(name)
    if value is None:
        if required:
            raise service_error(400, f"Missing parameter: {name}")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise service_error(400, f"Invalid value for parameter {name}: {value!r} is not a datetime") from None
    if moment.tzinfo is None:
        raise service_error(400, f"Invalid value for parameter {name}: {value!r} has no time zone")
    return moment.timestamp()


def _history(view: AccountView, query: Query) -> list[Json]:
    """The closed months between ``beginDate`` and ``endDate`` (both required): one transaction per
    service and month that lies within them."""
    begin, until = _date(query, "beginDate"), _date(query, "endDate")
    assert begin is not None and until is not None
    found = []
    start = month_start(data.anchor(view))
    while month_end(start) <= month_start(view.now):
        end = month_end(start)
        if start >= begin and end <= until:
            for project in view.projects:
                if project.created < end:
                    cents = data.project_closed(project, start, end)
                    element = _element(project.plan_code, "publiccloud", cents, project.id)
                    found.append(_transaction(data.project_service(project), [element], start, end, end))
            for other in data.OTHERS:
                element = _element(other.plan_code, other.plan_family, other.monthly_cents, other.name)
                found.append(_transaction(data.other_service(view, other), [element], start, end, end))
        start = end
    return found


def _services(view: AccountView) -> dict[int, Json]:
    found = {}
    for project in view.projects:
        found[data.project_service(project)] = _service(
            view,
            data.project_service(project),
            (data.PUBLIC_CLOUD, "Public Cloud project", project.id, project.description or project.id),
            ("/cloud/project/{serviceName}", "serviceName", project.id),
            (project.plan_code, None, month_end(view.now), project.created),
        )
    for other in data.OTHERS:
        sid = data.other_service(view, other)
        key = "ip" if other.product == "ip" else "serviceName"
        found[sid] = _service(
            view,
            sid,
            (other.product, other.description, other.name, other.display_name),
            (other.route, key, other.name),
            (other.plan_code, data.expiry(view, other), data.expiry(view, other), data.anchor(view)),
            (other.renew_mode, other.renew_months),
        )
    return found


def _service(
    view: AccountView,
    sid: int,
    resource: tuple[str, str, str, str],
    route: tuple[str, str, str],
    billing: tuple[str, int | None, int, int],
    renew: tuple[str, int] = ("automatic", 1),
) -> Json:
    """``renew``: the renewal mode and its period in months (``services.expanded.Renew.Current``)."""
    product, description, name, display = resource
    path, key, value = route
    plan, expires, next_billing, created = billing
    mode, months = renew
    renew_period = None if expires is None else f"P{months}M"  # an ISO 8601 duration
    return {
        "billing": {
            "engagement": None,
            "engagementRequest": None,
            "expirationDate": None if expires is None else iso(expires),
            "group": None,
            "lifecycle": {
                "capacities": {"actions": ["terminate"]},
                "current": {
                    "creationDate": iso(created),
                    "pendingActions": [],
                    "state": "active",
                    "terminationDate": None,
                },
            },
            "nextBillingDate": iso(next_billing),
            "plan": {"code": plan, "invoiceName": description},
            "pricing": None,
            "renew": {
                "capacities": {"mode": ["automatic", "manual"]},
                "current": {
                    "mode": mode,
                    "nextDate": None if expires is None else iso(expires),
                    "period": renew_period,
                },
            },
        },
        "customer": {
            "contacts": [{"customerCode": CONTACT, "type": t} for t in ("administrator", "billing")]
        },
        "parentServiceId": None,
        "resource": {
            "displayName": display,
            "name": name,
            "product": {"description": description, "name": product},
            "resellingProvider": None,
            "state": "active",
        },
        "route": {
            "path": path,
            "url": path.replace("{" + key + "}", value),
            "vars": [{"key": key, "value": value}],
        },
        "serviceId": sid,
        "tags": [],
    }


def _service_detail(view: AccountView, params: dict[str, str]) -> Json:
    try:
        return _services(view)[int(params["serviceId"])]
    except (KeyError, ValueError):
        raise not_found("This service does not exist") from None


def _bill_ids(view: AccountView, query: Query) -> list[str]:
    since, until = _date(query, "date.from", required=False), _date(query, "date.to", required=False)
    return [
        bill.bill_id
        for bill in data.bills(view)
        if (since is None or bill.date >= since) and (until is None or bill.date <= until)
    ]


def _bill(view: AccountView, params: dict[str, str]) -> Json:
    for bill in data.bills(view):
        if bill.bill_id == params["billId"]:
            tax = (bill.cents * 20 + 50) // 100
            link = f"https://billing.simulated.invalid/{bill.bill_id}?passwd={bill.password}"
            return {
                "billId": bill.bill_id,
                "category": bill.category,
                "date": iso(bill.date),
                "eInvoicingId": None,
                "eInvoicingStatus": None,
                "orderId": bill.order_id,
                "password": bill.password,
                "pdfUrl": link + "&format=pdf",
                "priceWithTax": as_price(bill.cents + tax),
                "priceWithoutTax": as_price(bill.cents),
                "tax": as_price(tax),
                "url": link,
            }
    raise not_found("The requested object (billId) does not exist")


def _debt(view: AccountView) -> Json:
    return {
        "active": True,
        "dueAmount": as_price(4217),
        "pendingAmount": as_price(1200),
        "todoAmount": as_price(0),
        "unmaturedAmount": as_price(0),
    }


def _balances(view: AccountView) -> dict[str, Json]:
    """A prepaid account and a voucher of which two parts expire, the sooner next month."""
    soon, later = month_end(view.now) + 14 * data.DAY, month_end(view.now) + 90 * data.DAY
    created = data.anchor(view)
    expiring = [
        {
            "amount": as_price(cents),
            "creationDate": iso(created),
            "expirationDate": iso(when),
            "lastUpdate": iso(created),
            "sourceObject": {"id": f"voucher-{index}", "name": "WELCOME-2025"},
        }
        for index, (cents, when) in enumerate(((5000, soon), (15000, later)))
    ]
    balances = {
        "PREPAID_ACCOUNT": ("PREPAID_ACCOUNT", 12000, []),
        "VOUCHER_WELCOME": ("VOUCHER", 20000, expiring),
    }
    return {
        name: {
            "amount": as_price(cents),
            "balanceDetails": [
                {"amount": as_price(cents), "balanceSubName": None, "expiring": parts, "serviceId": None}
            ],
            "balanceName": name,
            "booked": [],
            "creationDate": iso(created),
            "expiring": parts,
            "lastUpdate": iso(created),
            "type": kind,
        }
        for name, (kind, cents, parts) in balances.items()
    }


def _balance(view: AccountView, params: dict[str, str]) -> Json:
    try:
        return _balances(view)[params["balanceName"]]
    except KeyError:
        raise not_found("This credit balance does not exist") from None


def _balance_names(view: AccountView, query: Query) -> list[str]:
    wanted = query.get("type")
    return [name for name, body in _balances(view).items() if wanted in (None, body["type"])]


def gap(cents: int) -> Autoscale:
    """The change (``World.change``) after which the account's consumption of the project shows
    ``cents`` more than the project's ``usage/current``."""

    def change(_: random.Random, project: Project, now: int, add: AddInstance) -> list[str]:
        project.consumption_gap = cents
        return []

    return change


FAMILY = Family(
    routes={},
    account={
        f"{ME}/consumption/usage/current": lambda v, a, q: _month(v, forecast=False),
        f"{ME}/consumption/usage/forecast": lambda v, a, q: _month(v, forecast=True),
        f"{ME}/consumption/usage/history": lambda v, a, q: _history(v, q),
        SERVICES: lambda v, a, q: sorted(_services(v)),
        f"{SERVICES}/{{serviceId}}": lambda v, a, q: _service_detail(v, a),
        f"{ME}/bill": lambda v, a, q: _bill_ids(v, q),
        f"{ME}/bill/{{billId}}": lambda v, a, q: _bill(v, a),
        f"{ME}/debtAccount": lambda v, a, q: _debt(v),
        f"{ME}/credit/balance": lambda v, a, q: _balance_names(v, q),
        f"{ME}/credit/balance/{{balanceName}}": lambda v, a, q: _balance(v, a),
    },
)
