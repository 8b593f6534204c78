"""Closed periods tell the same story as the live month: each total is the sum of its lines to the cent,
a resource is billed in the months it ran, and the list filters as OVH documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from otel_ovh.simulator import ApiError, World
from tests.simulator.support import finest, usage_lines


def _cents(price: Any) -> int:
    return round(price["value"] * 100) if isinstance(price, dict) else round(price * 100)


def _history(world: World, pid: str, **query: str) -> list[dict[str, Any]]:
    return list(world.body(f"/cloud/project/{pid}/usage/history", query or None))


def test_each_closed_period_adds_up_to_its_total(world: World) -> None:
    checked = 0
    for pid in world.project_ids:
        listed = _history(world, pid)
        assert listed, pid
        starts = [datetime.fromisoformat(p["period"]["from"]) for p in listed]
        assert starts == sorted(starts)
        assert all(
            p["period"]["to"] <= world.body(f"/cloud/project/{pid}/usage/current")["period"]["from"]
            for p in listed
        )  # closed only: none overlaps the current month
        for item in listed[-3:]:
            body = world.body(f"/cloud/project/{pid}/usage/history/{item['id']}")
            assert body["id"] == item["id"] and body["period"] == item["period"]
            if "totalPrice" not in body:  # older-shaped projects
                continue
            lines = [line for _, line in usage_lines(body)]
            assert sum(_cents(line["totalPrice"]) for line in lines) == _cents(body["totalPrice"])
            assert sum(_cents(f["totalPrice"]) for line in lines for f in finest(line)) == _cents(
                body["totalPrice"]
            )
            checked += 1
    assert checked >= 3


def test_a_resource_created_this_month_has_no_history(world: World) -> None:
    pid = world.project_ids[0]
    instance = world.create_instance(pid)
    last = _history(world, pid)[-1]
    body = world.body(f"/cloud/project/{pid}/usage/history/{last['id']}")
    ids = {d.get("instanceId") for _, line in usage_lines(body) for d in line.get("details") or []}
    assert instance not in ids
    current = world.body(f"/cloud/project/{pid}/usage/current")
    assert instance in {
        d.get("instanceId") for _, line in usage_lines(current) for d in line.get("details") or []
    }


def test_from_and_to_filter_the_list_and_unknown_ids_are_404(world: World) -> None:
    pid = world.project_ids[0]
    listed = _history(world, pid)
    middle = listed[len(listed) // 2]["period"]
    later = _history(world, pid, **{"from": middle["from"]})
    assert later == [p for p in listed if p["period"]["from"] >= middle["from"]]
    earlier = _history(world, pid, to=middle["to"])
    assert earlier == [p for p in listed if p["period"]["to"] <= middle["to"]]
    with pytest.raises(ApiError) as raised:
        world.body(f"/cloud/project/{pid}/usage/history/not-a-period")
    assert raised.value.status == 404
    with pytest.raises(ApiError) as bad:
        _history(world, pid, **{"from": "last tuesday"})
    assert bad.value.status == 400
