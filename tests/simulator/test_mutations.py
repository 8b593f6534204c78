"""Churn: projects, instances, volumes and regions come and go, and every endpoint follows."""

from __future__ import annotations

from typing import Any

import pytest

from otel_ovh.simulator import ApiError, World
from tests.simulator.support import Clock, usage_lines

HOUR = 3600


def get(world: World, project: str, path: str = "") -> Any:
    return world.body(f"/cloud/project/{project}{path}")


def billed(world: World, project: str, key: str) -> dict[str, float]:
    """id -> quantity of every usage detail naming `key` (instanceId, volumeId)."""
    return {
        d[key]: d.get("quantity", {}).get("value", 0.0)
        for _, line in usage_lines(get(world, project, "/usage/current"))
        for d in line.get("details") or []
        if key in d and d.get("quantity", {}).get("unit") != "GiBh"
    }


def test_add_and_remove_a_project(world: World) -> None:
    project = world.add_project()
    assert world.body("/cloud/project")[-1] == project
    assert get(world, project)["project_id"] == project
    assert get(world, project, "/instance")
    world.remove_project(project)
    assert project not in world.body("/cloud/project")
    with pytest.raises(ApiError) as caught:
        get(world, project, "/usage/current")
    assert caught.value.status == 404 and caught.value.body["message"] == "This service does not exist"


def test_an_empty_project_has_null_usage_sections(world: World) -> None:
    project = world.add_project(empty=True)
    usage = get(world, project, "/usage/current")
    assert (usage["hourlyUsage"], usage["monthlyUsage"], usage["resourcesUsage"]) == (None, None, None)
    assert usage["totalPrice"]["value"] == 0
    assert get(world, project, "/instance") == [] and get(world, project, "/volume") == []


def test_created_instance_is_listed_billed_from_now_and_counted(world: World, clock: Clock) -> None:
    project = world.project_ids[0]
    before = {q["region"]: q for q in get(world, project, "/quota")}
    instance = world.create_instance(project, region="GRA11")
    assert instance in {i["id"] for i in get(world, project, "/instance")}
    assert get(world, project, f"/instance/{instance}")["region"] == "GRA11"
    assert billed(world, project, "instanceId")[instance] == 0.0
    clock.advance(2 * HOUR)
    assert billed(world, project, "instanceId")[instance] == 2.0
    after = {q["region"]: q for q in get(world, project, "/quota")}
    assert after["GRA11"]["instance"]["usedInstances"] == before["GRA11"]["instance"]["usedInstances"] + 1


def test_deleted_instance_leaves_the_lists_but_its_usage_stays_frozen(world: World, clock: Clock) -> None:
    project = world.project_ids[0]
    instance = next(i["id"] for i in get(world, project, "/instance") if i["monthlyBilling"] is None)
    hours = billed(world, project, "instanceId")[instance]
    total = get(world, project, "/usage/current")["totalPrice"]["value"]
    world.delete_instance(project, instance)
    assert instance not in {i["id"] for i in get(world, project, "/instance")}
    with pytest.raises(ApiError):
        get(world, project, f"/instance/{instance}")
    assert all(instance not in v["attachedTo"] for v in get(world, project, "/volume"))
    clock.advance(3 * HOUR)
    assert billed(world, project, "instanceId")[instance] == hours  # billed until deletion, as at OVH
    assert get(world, project, "/usage/current")["totalPrice"]["value"] >= total
    clock.now = 1_761_955_200 + HOUR  # next month: the deleted instance is gone from usage too
    assert instance not in billed(world, project, "instanceId")


def test_volumes_come_and_go(world: World, clock: Clock) -> None:
    project = world.project_ids[1]
    volume = world.create_volume(project, region="DE1", size=300)
    assert get(world, project, f"/volume/{volume}")["size"] == 300
    clock.advance(HOUR)
    usage = get(world, project, "/usage/current")
    details = [
        d for line in usage["hourlyUsage"]["volume"] for d in line["details"] if d["volumeId"] == volume
    ]
    assert details[0]["quantity"] == {"unit": "GiBh", "value": 300.0}
    world.delete_volume(project, volume)
    assert volume not in {v["id"] for v in get(world, project, "/volume")}


def test_added_region_is_listed_empty(world: World) -> None:
    project = world.project_ids[0]
    world.add_region(project, "UK1")
    assert "UK1" in get(world, project, "/region")
    quota = get(world, project, "/region/UK1/quota")
    assert quota["instance"]["usedInstances"] == 0
    assert get(world, project, "/region/UK1")["name"] == "UK1"
    world.create_instance(project, region="UK1")
    assert get(world, project, "/region/UK1/quota")["instance"]["usedInstances"] == 1


def test_mutations_reject_unknown_targets(world: World) -> None:
    project = world.project_ids[0]
    with pytest.raises(ValueError, match="not a compute region"):
        world.create_instance(project, region="GRA")
    with pytest.raises(ApiError):
        world.create_instance("0" * 32)
