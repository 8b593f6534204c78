"""Credits tell the same story as the forecast: what is left is granted less used, and the forecast's
usable credits come only from valid credits, never beyond what they have left or what the bill is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from otel_ovh.simulator import ApiError, World, WorldShape
from tests.simulator.support import Clock


def _get(world: World, project: str, path: str) -> Any:
    return world.body(f"/cloud/project/{project}{path}")


def test_each_credit_adds_up_and_the_forecast_uses_only_what_is_valid_and_left(clock: Clock) -> None:
    world = World(seed=42, shape=WorldShape(projects=8), clock=clock)  # every kind of credit is there
    with_credits = expired_seen = 0
    for project in world.project_ids:
        credits = {c: _get(world, project, f"/credit/{c}") for c in _get(world, project, "/credit")}
        forecast = _get(world, project, "/usage/forecast")
        usable = forecast["usableCredits"]
        for body in credits.values():
            left = body["total_credit"]["value"] - body["used_credit"]["value"]
            assert round(body["available_credit"]["value"], 2) == round(left, 2)
        if not credits:
            assert usable is None
            continue
        with_credits += 1
        period_end = datetime.fromisoformat(forecast["period"]["to"]).timestamp()
        assert usable is not None
        assert round(sum(d["usedAmount"] for d in usable["details"]), 2) == usable["totalCredit"]
        if "totalPrice" in forecast:  # older-shaped projects give none
            assert usable["totalCredit"] <= forecast["totalPrice"]["value"] + 1e-9
        for detail in usable["details"]:
            credit = credits[detail["id"]]
            end = (credit["validity"] or {}).get("to")
            assert end is None or datetime.fromisoformat(end).timestamp() >= period_end
            assert 0 <= detail["usedAmount"] <= credit["available_credit"]["value"]
        expired = [
            c
            for c, b in credits.items()
            if (b["validity"] or {}).get("to")
            and datetime.fromisoformat(b["validity"]["to"]).timestamp() < period_end
        ]
        assert not {d["id"] for d in usable["details"]} & set(expired)
        expired_seen += len(expired)
    assert with_credits >= 4 and expired_seen >= 1


def test_an_unknown_credit_is_a_404(world: World) -> None:
    with pytest.raises(ApiError) as raised:
        _get(world, world.project_ids[0], "/credit/1")
    assert raised.value.status == 404
