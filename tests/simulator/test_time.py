"""Usage grows with the clock, restarts with the month, and answers are stable within a second."""

from __future__ import annotations

from typing import Any

import pytest

from otel_ovh.simulator import World
from tests.simulator.support import Clock, cents, usage_lines

HOUR = 3600
NOVEMBER_1 = 1_761_955_200  # 2025-11-01T00:00:00Z


def usage(world: World, project: str) -> dict[str, Any]:
    body: dict[str, Any] = world.body(f"/cloud/project/{project}/usage/current")
    return body


def hours_by_instance(body: dict[str, Any]) -> dict[str, float]:
    return {
        d["instanceId"]: d["quantity"]["value"]
        for line in body["hourlyUsage"]["instance"]
        for d in line["details"]
        if d["quantity"]["unit"] == "Hour"
    }


def test_an_hour_later_every_hourly_instance_has_one_more_hour(world: World, clock: Clock) -> None:
    project = world.project_ids[0]
    before = usage(world, project)
    clock.advance(HOUR)
    after = usage(world, project)
    assert hours_by_instance(before).keys() == hours_by_instance(after).keys()
    deleted = {i.id for i in world.project(project).instances.values() if i.deleted is not None}
    for instance, hours in hours_by_instance(before).items():
        more = 0 if instance in deleted else 1  # a deleted node's hours stopped
        assert hours_by_instance(after)[instance] == pytest.approx(hours + more, abs=1e-4)
    assert cents(after["totalPrice"]) > cents(before["totalPrice"])
    assert after["lastUpdate"] == "2025-10-14T13:00:00+00:00"


def test_every_figure_only_grows_within_the_month(world: World, clock: Clock) -> None:
    for project in world.project_ids:
        before = {
            (s, str(line.get("reference") or line.get("type")), line.get("region")): line["totalPrice"]
            for s, line in usage_lines(usage(world, project))
        }
        clock.advance(5 * 24 * HOUR)
        after = {
            (s, str(line.get("reference") or line.get("type")), line.get("region")): line["totalPrice"]
            for s, line in usage_lines(usage(world, project))
        }
        clock.advance(-5 * 24 * HOUR)
        assert before.keys() <= after.keys()
        assert all(cents(after[key]) >= cents(value) for key, value in before.items())


def test_a_new_month_restarts_the_figures(world: World, clock: Clock) -> None:
    project = world.project_ids[0]
    october = usage(world, project)
    clock.now = NOVEMBER_1 + 2 * HOUR
    november = usage(world, project)
    assert november["period"]["from"] == "2025-11-01T00:00:00+00:00"
    assert cents(november["totalPrice"]) < cents(october["totalPrice"])
    assert set(hours_by_instance(november).values()) == {2.0}
    forecast = world.body(f"/cloud/project/{project}/usage/forecast")
    assert forecast["period"]["to"] == "2025-12-01T00:00:00+00:00"


def test_a_resource_created_this_month_is_billed_from_its_creation(world: World, clock: Clock) -> None:
    project = world.project_ids[0]
    recent = [
        i
        for i in world.project(project).instances.values()
        if i.created > NOVEMBER_1 - 31 * 24 * HOUR and i.monthly_since is None and i.deleted is None
    ]
    assert recent, "the default world has instances created this month"
    hours = hours_by_instance(usage(world, project))
    for instance in recent:
        assert hours[instance.id] == pytest.approx((clock() - instance.created) / HOUR, abs=1e-4)


def test_answers_are_stable_within_a_second_and_cached(world: World, clock: Clock) -> None:
    path = f"/cloud/project/{world.project_ids[0]}/usage/current"
    first = world.answer(path)
    clock.advance(0.4)
    assert world.answer(path) is first
    clock.advance(0.7)
    assert world.answer(path) != first


def test_a_mutation_invalidates_the_cache(world: World) -> None:
    project = world.project_ids[0]
    before = world.body(f"/cloud/project/{project}/instance")
    world.create_instance(project)
    assert len(world.body(f"/cloud/project/{project}/instance")) == len(before) + 1
