"""The endpoints tell one story: usage names resources that exist, quotas count them, quirks are there."""

from __future__ import annotations

from typing import Any

import pytest

from otel_ovh.simulator import World, WorldShape
from otel_ovh.simulator.meters import GIB
from otel_ovh.simulator.model import Instance
from otel_ovh.simulator.timeutil import month_start
from tests.simulator.support import Clock, usage_lines


def get(world: World, project: str, path: str = "", **query: str) -> Any:
    return world.body(f"/cloud/project/{project}{path}", query or None)


def usage_ids(usage: dict[str, Any], key: str) -> set[str]:
    return {d[key] for _, line in usage_lines(usage) for d in line.get("details") or [] if key in d}


def deleted_instances(world: World, project: str) -> dict[str, Instance]:
    """Instances deleted this period (Kubernetes nodes autoscaled away): unlisted, still billed."""
    start = month_start(world.now())
    return {i.id: i for i in world.project(project).instances.values() if (i.deleted or 0) >= start}


def test_usage_names_exactly_the_instances_and_volumes_that_exist(world: World) -> None:
    for project in world.project_ids:
        usage = get(world, project, "/usage/current")
        instances = {i["id"] for i in get(world, project, "/instance")}
        volumes = {v["id"] for v in get(world, project, "/volume")}
        gone = set(deleted_instances(world, project))
        assert usage_ids(usage, "instanceId") == instances | gone and not instances & gone
        assert usage_ids(usage, "volumeId") == volumes
        for line in usage["hourlyUsage"]["instance"]:
            for detail in line["details"]:
                assert detail.get("resourceId", detail["instanceId"]) == detail["instanceId"]


def test_usage_lines_carry_the_resources_regions_and_flavors(world: World) -> None:
    for project in world.project_ids:
        usage = get(world, project, "/usage/current")
        flavors = {f["id"]: f for f in get(world, project, "/flavor")}
        instances = {i["id"]: i for i in get(world, project, "/instance")}
        for section in ("hourlyUsage", "monthlyUsage"):
            for line in usage[section]["instance"]:
                for detail in line["details"]:
                    if detail["instanceId"] in deleted_instances(world, project):
                        continue  # no longer listed: nothing to compare with
                    instance = instances[detail["instanceId"]]
                    assert line["region"] == instance["region"]
                    assert line["reference"].split(".")[0] == flavors[instance["flavorId"]]["name"]
                    if "local-disk" not in line["reference"]:  # extra disk is hourly whatever the billing
                        assert (section == "monthlyUsage") == (instance["monthlyBilling"] is not None)
        volumes = {v["id"]: v for v in get(world, project, "/volume")}
        for line in usage["hourlyUsage"]["volume"]:
            for detail in line["details"]:
                assert (line["type"], line["region"]) == (
                    volumes[detail["volumeId"]]["type"],
                    volumes[detail["volumeId"]]["region"],
                )


def test_storage_lines_name_the_buckets_and_swift_regions(world: World) -> None:
    for project in world.project_ids:
        usage = get(world, project, "/usage/current")
        s3_regions = [r for r in get(world, project, "/region") if r in ("GRA", "DE")]
        buckets = {b["name"]: b for r in s3_regions for b in get(world, project, f"/region/{r}/storage")}
        lines = usage["hourlyUsage"]["storage"]
        named = {line["bucketName"]: line for line in lines if line["bucketName"] is not None}
        assert named.keys() == buckets.keys()
        for name, line in named.items():
            assert line["region"] == buckets[name]["region"]
            stored = line["stored"]["quantity"]["value"]
            assert stored > 0 and line["stored"].get("resourceIds", [name]) == [name]
        swift = get(world, project, "/storage")
        swift_lines = [line for line in lines if line["bucketName"] is None]
        assert {line["region"] for line in swift_lines} == {c["region"] for c in swift}
        assert {line["type"] for line in swift_lines} <= {"pcs", "pca"}
        assert all(
            line["incomingBandwidth"] is None and line.get("deploymentMode") is None for line in swift_lines
        )


def test_quota_usage_counts_the_resources(world: World) -> None:
    for project in world.project_ids:
        flavors = {f["id"]: f for f in get(world, project, "/flavor")}
        instances, volumes = get(world, project, "/instance"), get(world, project, "/volume")
        for quota in get(world, project, "/quota"):
            region = quota["region"]
            mine = [i for i in instances if i["region"] == region]
            if quota["instance"] is not None:
                assert quota["instance"]["usedInstances"] == len(mine)
                assert quota["instance"]["usedCores"] == sum(flavors[i["flavorId"]]["vcpus"] for i in mine)
                assert quota["instance"]["usedRAM"] == sum(flavors[i["flavorId"]]["ram"] * 1024 for i in mine)
            if quota["volume"] is not None:
                disks = [v for v in volumes if v["region"] == region]
                assert quota["volume"]["usedGigabytes"] == sum(v["size"] for v in disks)
                assert quota["volume"]["volumeCount"] == len(disks)
            assert quota == get(world, project, f"/region/{region}/quota")


def test_each_project_has_a_region_where_it_uses_nothing(world: World) -> None:
    for project in world.project_ids:
        idle = world.project(project).idle_region
        quota = get(world, project, f"/region/{idle}/quota")
        used = [
            v
            for category in quota.values()
            if isinstance(category, dict)
            for k, v in category.items()
            if not k.startswith("max")
        ]
        assert used and all(v == 0 for v in used)
        assert get(world, project, "/instance", region=idle) == []
        assert get(world, project, "/volume", region=idle) == []
        usage = get(world, project, "/usage/current")
        assert idle not in str([line for _, line in usage_lines(usage)])


def test_quota_quirks(world: World) -> None:
    quotas = [q for p in world.project_ids for q in get(world, p, "/quota")]
    assert any(q["share"] is None for q in quotas)
    only_basic = [
        q for q in quotas if {k for k, v in q.items() if v is not None} == {"region", "instance", "keypair"}
    ]
    assert only_basic
    assert any(q["instance"] and q["instance"]["maxInstances"] == -1 for q in quotas)
    assert all("maxRam" in q["instance"] and "usedRAM" in q["instance"] for q in quotas if q["instance"])


def test_instance_quirks(world: World) -> None:
    instances = [i for p in world.project_ids for i in get(world, p, "/instance")]
    assert any(i["planCode"] is None for i in instances)
    assert any(i["monthlyBilling"] is not None for i in instances)
    assert any(i["availabilityZone"] for i in instances if "availabilityZone" in i)
    assert {i["status"] for i in instances} >= {"ACTIVE", "SHUTOFF"}


def test_usage_quirks(world: World) -> None:
    usages = [get(world, p, "/usage/current") for p in world.project_ids]
    lines = [(section, line) for usage in usages for section, line in usage_lines(usage)]
    sections = {section for section, _ in lines}
    assert sections >= {
        "hourlyUsage.instance",
        "hourlyUsage.instanceBandwidth",
        "hourlyUsage.instanceOption",
        "hourlyUsage.snapshot",
        "hourlyUsage.storage",
        "hourlyUsage.volume",
        "hourlyUsage.managedKubernetesService",
        "hourlyUsage.rancher",
        "hourlyUsage.quantum.notebook",
        "monthlyUsage.instance",
        "monthlyUsage.instanceOption",
        "monthlyUsage.certification",
        "monthlyUsage.savingsPlan",
        "resourcesUsage",
    }
    assert {line["type"] for s, line in lines if s == "resourcesUsage"} >= {
        "octavia-loadbalancer",
        "floatingip",
    }
    assert any(
        line["reference"].endswith(".local-disk-gb") and line["quantity"]["unit"] == "GiBh"
        for s, line in lines
        if s == "hourlyUsage.instance"
    )
    assert any(line.get("savingsPlanIds") for s, line in lines if s == "hourlyUsage.instance")


def test_outgoing_traffic_matches_the_bandwidth_lines(world: World) -> None:
    checked = 0
    for project in world.project_ids:
        usage = get(world, project, "/usage/current")
        for line in usage["hourlyUsage"]["instanceBandwidth"]:
            traffic = sum(
                i["currentMonthOutgoingTraffic"]
                for i in get(world, project, "/instance", region=line["region"])
            ) + sum(  # what deleted instances sent until then is still billed
                i.traffic_per_hour * ((i.deleted or 0) - max(i.created, month_start(world.now()))) // 3600
                for i in deleted_instances(world, project).values()
                if i.region == line["region"]
            )
            assert traffic > 0
            assert line["outgoingBandwidth"]["quantity"]["value"] == pytest.approx(traffic / GIB, abs=1e-3)
            checked += 1
    assert checked


def test_region_filters(world: World) -> None:
    project = world.project_ids[0]
    for region in ("GRA11", "SBG5"):
        assert get(world, project, "/instance", region=region) == [
            i for i in get(world, project, "/instance") if i["region"] == region
        ]
        assert {f["region"] for f in get(world, project, "/flavor", region=region)} == {region}


def test_the_same_seed_gives_the_same_world() -> None:
    def snapshot(seed: int) -> list[Any]:
        world = World(seed=seed, shape=WorldShape(projects=2), clock=Clock())
        return [
            get(world, p, path) for p in world.project_ids for path in ("", "/instance", "/usage/current")
        ]

    assert snapshot(5) == snapshot(5)
    assert snapshot(5) != snapshot(6)
