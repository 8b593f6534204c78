"""Billing alerts of a project: ``alerting`` (``uuid[]``) and ``alerting/{id}`` (``cloud.alerting.Alerting``).

Projects answering the 2024-era shapes send ``cloud.Alerting`` as the 2024 schema had it (S24): no
``name``, ``emails``, ``service`` or ``status``, and one ``email``. Every project that has alerts has
one on its whole spend; modern ones also have an alert on one service below it, and either a disabled
alert lower still or a second alert above it, so that "the project's threshold" is a real choice.
"""

from __future__ import annotations

import random

from otel_ovh.simulator.errors import not_found
from otel_ovh.simulator.family import Family, Json
from otel_ovh.simulator.generate import Generator
from otel_ovh.simulator.ids import random_uuid
from otel_ovh.simulator.model import Project, SpendAlert
from otel_ovh.simulator.money import as_price
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso

DAY = 86_400
THRESHOLDS = (500, 1000, 1500, 2000, 3000)  # whole amounts, as the control panel asks for them
DELAYS = (3600, 10800, 21600, 43200, 86400, 172800, 259200, 604800)  # cloud.AlertingDelayEnum
LEGACY_KEYS = frozenset(
    {"creationDate", "delay", "email", "formattedMonthlyThreshold", "id", "monthlyThreshold"}
)


def alert_ids(alerts: list[SpendAlert], now: int) -> list[str]:
    return [a.id for a in alerts if a.created <= now]


def alert_body(alerts: list[SpendAlert], alert_id: str, now: int, legacy: bool) -> Json:
    alert = next((a for a in alerts if a.id == alert_id and a.created <= now), None)
    if alert is None:
        raise not_found(f"Alerting {alert_id} not found")
    body = {
        "id": alert.id,
        "name": alert.name,
        "creationDate": iso(alert.created),
        "delay": alert.delay,
        "email": alert.emails[0] if alert.emails else "",
        "emails": list(alert.emails),
        "monthlyThreshold": alert.threshold,
        "formattedMonthlyThreshold": as_price(alert.threshold * 100),
        "service": alert.service,
        "status": alert.status,
    }
    return {k: v for k, v in body.items() if k in LEGACY_KEYS} if legacy else body


def generate_alerts(seed: int, index: int, created: int, now: int, legacy: bool) -> list[SpendAlert]:
    """Two projects in three have alerts. Drawn from their own random stream, so the rest of the world
    is unchanged."""
    if index % 3 == 2:
        return []
    rng = random.Random(f"{seed}/alerting/{index}")
    threshold = rng.choice(THRESHOLDS)
    emails = [f"finops+{index}@example.com"]

    def alert(name: str, amount: int, **kind: str) -> SpendAlert:
        when = max(created, now - rng.randint(5, 400) * DAY)
        return SpendAlert(
            random_uuid(rng), name, amount, when, delay=rng.choice(DELAYS), emails=emails, **kind
        )

    alerts = [alert("monthly budget", threshold)]
    if legacy:
        return [*alerts, alert("hard ceiling", threshold * 3)]
    alerts.append(alert("instances", threshold // 4, service="instances"))
    if index % 2 == 0:
        alerts.append(alert("old budget", threshold // 2, status="disabled"))
    else:
        alerts.append(alert("hard ceiling", threshold * 2))
    return alerts


def populate(generator: Generator, project: Project, now: int, empty: bool) -> None:
    project.alerts = generate_alerts(generator.seed, project.index, project.created, now, project.legacy)


FAMILY = Family(
    routes={
        f"{P}/alerting": lambda v, a, q: alert_ids(v.p.alerts, v.now),
        f"{P}/alerting/{{id}}": lambda v, a, q: alert_body(v.p.alerts, a["id"], v.now, v.p.legacy),
    },
    populate=populate,
)
