"""Savings plans tell the same story as usage/current: the plans' cost is the monthlyUsage.savingsPlan
line to the cent, over-quota is the flavor's hours billed by the hour, and savings follow from both."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from otel_ovh.simulator import ApiError, World, WorldShape
from tests.simulator.support import Clock, cents


def _get(world: World, project: str, path: str, **query: str) -> Any:
    return world.body(f"/cloud/project/{project}{path}", query or None)


def _month(world: World, shift: int = 0) -> dict[str, str]:
    now = datetime.fromtimestamp(world.now(), UTC)
    year, month = divmod(now.year * 12 + now.month - 1 + shift, 12)
    return {"year": str(year), "month": str(month + 1)}


def _hour_details(usage: dict[str, Any], flavor: str) -> list[dict[str, Any]]:
    return [
        d
        for line in usage["hourlyUsage"]["instance"]
        if line["reference"] == flavor and line["quantity"]["unit"] == "Hour"
        for d in line["details"]
    ]


def _check_project(world: World, pid: str) -> tuple[float, int, int]:
    """Asserts one project's plans against its usage; returns (over-quota hours, plans size, running)."""
    usage = _get(world, pid, "/usage/current")
    plans = _get(world, pid, "/usage/plans", **_month(world))
    lines = {line["flavor"]: line for line in (usage["monthlyUsage"] or {}).get("savingsPlan", [])}
    entries = {entry["flavor"]: entry for entry in plans["flavors"]}
    assert set(entries) == set(lines), pid
    record = world.project(pid)
    over_hours, size, running = 0.0, 0, 0
    for flavor, entry in entries.items():
        fees, line = entry["fees"], lines[flavor]
        assert fees["flatFee"]["details"] == line["details"]
        assert cents(fees["totalPrice"]) == cents(fees["flatFee"]["totalPrice"]) == cents(line["totalPrice"])
        assert sum(cents(d["totalPrice"]) for d in line["details"]) == cents(line["totalPrice"])
        assert [(s["id"], float(s["size"])) for s in entry["subscriptions"]] == [
            (d["id"], d["size"]) for d in line["details"]
        ]
        assert all(s["end"] > s["begin"] for s in entry["subscriptions"])
        details = _hour_details(usage, flavor)
        covered = [d for d in details if record.instances[d["instanceId"]].savings_plan]
        over = [d for d in details if not record.instances[d["instanceId"]].savings_plan]
        quota = fees["overQuota"]
        assert quota["quantity"] == pytest.approx(sum(d["quantity"]["value"] for d in over), abs=1e-6)
        assert cents(quota["totalPrice"]) == sum(cents(d["totalPrice"]) for d in over)
        assert all(cents(d["totalPrice"]) == 0 for d in covered)  # the plan bills them instead
        hourly = quota["unitPrice"]["value"]
        plan_price = {d["id"]: d["unitPrice"]["value"] for d in line["details"]}
        saved = sum(
            _cents(
                d["quantity"]["value"] * (hourly - plan_price[record.instances[d["instanceId"]].savings_plan])
            )
            for d in covered
        )
        assert cents(fees["savedAmount"]) == saved >= 0
        assert [p["plansIds"] for p in entry["periods"]][-1:] == [[d["id"] for d in line["details"]]]
        over_hours += quota["quantity"]
        size += sum(s["size"] for s in entry["subscriptions"])
        running += len({d["instanceId"] for d in details if d["instanceId"] in _live(world, pid)})
    assert cents(plans["totalSavings"]) == sum(cents(e["fees"]["savedAmount"]) for e in entries.values())
    return over_hours, size, running


def _cents(amount: float) -> int:
    return int(amount * 100 + 0.5)


def _live(world: World, pid: str) -> set[str]:
    return {i["id"] for i in _get(world, pid, "/instance")}


@pytest.mark.parametrize("instances", [6, 40])
def test_plans_match_the_usage_lines_to_the_cent(instances: int) -> None:
    world = World(seed=2026, shape=WorldShape(projects=6, instances_per_project=instances), clock=Clock())
    figures = [_check_project(world, pid) for pid in world.project_ids]
    assert sum(1 for _, size, _ in figures if size) >= 2
    assert any(over > 0 for over, _, _ in figures), "some project runs beyond its plans"
    if instances == 6:  # a few instances per flavor: the idle second plan is more than runs
        assert any(size > running for _, size, running in figures), "some project commits beyond what runs"


def test_a_project_without_plans_answers_an_empty_list(world: World) -> None:
    checked = 0
    for pid in [*world.project_ids, world.add_project(empty=True)]:
        if world.project(pid).plan_terms:
            continue
        body = _get(world, pid, "/usage/plans", **_month(world))
        assert body["flavors"] == [] and body["totalSavings"]["value"] == 0 and body["projectId"] == pid
        checked += 1
    assert checked >= 2


def test_the_query_picks_the_month_and_the_flavor(world: World) -> None:
    pid = next(p for p in world.project_ids if world.project(p).plan_terms)
    current = _get(world, pid, "/usage/plans", **_month(world))
    assert _get(world, pid, "/usage/plans") == current  # no query: the current month
    assert _get(world, pid, "/usage/plans", **_month(world), flavor="b3-8") == current
    assert _get(world, pid, "/usage/plans", **_month(world), flavor="d2-4")["flavors"] == []
    last = _get(world, pid, "/usage/plans", **_month(world, -1))
    assert last["period"]["to"] == current["period"]["from"]
    assert cents(last["flavors"][0]["fees"]["totalPrice"]) > cents(
        current["flavors"][0]["fees"]["totalPrice"]
    )
    assert _get(world, pid, "/usage/plans", **_month(world, 1))["flavors"] == []  # not billed yet
    for bad in ({"year": "2026", "month": "13"}, {"year": "this", "month": "10"}):
        with pytest.raises(ApiError) as raised:
            _get(world, pid, "/usage/plans", **bad)
        assert raised.value.status == 400


def test_just_after_midnight_on_the_first_the_new_month_lists_the_plans_at_zero() -> None:
    clock = Clock(datetime(2025, 11, 1, 0, 0, 30, tzinfo=UTC).timestamp())
    world = World(seed=42, clock=clock)
    pid = next(p for p in world.project_ids if world.project(p).plan_terms)
    new = _get(world, pid, "/usage/plans", year="2025", month="11")
    assert new["flavors"] and all(s["size"] >= 1 for e in new["flavors"] for s in e["subscriptions"])
    assert all(cents(e["fees"]["totalPrice"]) == 0 for e in new["flavors"])
    october = _get(world, pid, "/usage/plans", year="2025", month="10")
    assert all(cents(e["fees"]["totalPrice"]) > 0 for e in october["flavors"])
    assert october["period"] == {"from": "2025-10-01T00:00:00+00:00", "to": "2025-11-01T00:00:00+00:00"}


def test_plans_renew_so_their_end_is_the_term_under_way(clock: Clock) -> None:
    world = World(seed=42, clock=clock)
    pid = next(p for p in world.project_ids if world.project(p).plan_terms)
    ends = [s["end"] for e in _get(world, pid, "/usage/plans")["flavors"] for s in e["subscriptions"]]
    clock.advance(800 * 86_400)  # past any term: each plan has renewed
    later = [s["end"] for e in _get(world, pid, "/usage/plans")["flavors"] for s in e["subscriptions"]]
    assert all(datetime.fromisoformat(end).timestamp() > clock.now for end in later)
    assert later != ends


def test_a_plan_started_after_a_month_is_not_in_it(clock: Clock) -> None:
    world = World(seed=2026, shape=WorldShape(projects=4), clock=clock)
    pid = next(p for p in world.project_ids if len(world.project(p).plan_terms) == 2)
    begins = sorted(s["begin"] for s in _get(world, pid, "/usage/plans")["flavors"][0]["subscriptions"])
    second = datetime.fromisoformat(begins[1])
    before = {"year": str(second.year - 1), "month": str(second.month)}
    listed = [
        s["begin"] for e in _get(world, pid, "/usage/plans", **before)["flavors"] for s in e["subscriptions"]
    ]
    assert listed == begins[:1]
