"""The bill at the period's end: ``usage/forecast`` (``cloud.usage.UsageForecast``), this period's usage
extrapolated linearly to its end, with the credits that will be usable against it (credits.py)."""

from __future__ import annotations

from otel_ovh.simulator.families.cost import as_answered, this_month
from otel_ovh.simulator.families.credits import usable_credits
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import month_end


def forecast(view: View) -> Json:
    body = this_month(view, forecast=True)
    bill = round(float(body["totalPrice"]["value"]) * 100)
    body["usableCredits"] = usable_credits(view.p.credits, bill, month_end(view.now))
    return as_answered(view.p, body)


FAMILY = Family(routes={f"{P}/usage/forecast": lambda v, a, q: forecast(v)})
