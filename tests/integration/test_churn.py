"""Series churn over a long run: no overflow series, and memory that does not grow with every id ever seen.

The OpenTelemetry SDK keeps every attribute set an observable instrument has reported, forever; a month of
instances created and deleted would fill the instruments' storage and end in ``otel_metric_overflow``.
The telemetry layer rebuilds its pipeline when retired series outnumber the live ones.
"""

from __future__ import annotations

import gc
import time
from datetime import datetime
from typing import Any

import psutil
import pytest

from otel_ovh.collect.snapshot import ProjectData, ProjectState, SnapshotStore
from otel_ovh.export.telemetry import Telemetry
from otel_ovh.families import instances, period, volumes
from otel_ovh.families.volumes import Volume
from otel_ovh.ovh.client import CallStats
from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.timeutil import month_start
from tests.e2e import expected
from tests.integration.conftest import series
from tests.simulator.support import Clock

PID = "0123456789abcdef0123456789abcdef"


def sdk_attribute_sets(telemetry: Telemetry) -> int:
    """Attribute sets the SDK holds for the inventory instruments (private SDK structures, test only)."""
    provider: Any = telemetry._inventory.provider
    total = 0
    for storage in provider._measurement_consumer._reader_storages.values():
        for matches in storage._instrument_view_instrument_matches.values():
            total += sum(len(match._attributes_aggregation) for match in matches)
    return total


def _volumes(generation: int, count: int) -> tuple[Volume, ...]:
    return tuple(
        Volume(
            id=f"vol-{generation}-{i}",
            name=f"v{i}",
            region="GRA11",
            type="classic",
            status="in-use",
            size_bytes=float(i),
        )
        for i in range(count)
    )


def test_two_hundred_thousand_ids_never_overflow_nor_grow_memory() -> None:
    settings = parse_settings(
        {
            "ovh": {"application_key": "a", "application_secret": "b", "consumer_key": "c"},
            "collect": {"families": ["volumes"]},
            "telemetry": {"cardinality_limit": 5000},
        }
    )
    store = SnapshotStore()
    telemetry = Telemetry(settings, store, CallStats())
    live = 1000
    held: list[int] = []
    process = psutil.Process()
    try:
        for generation in range(200):  # 200 refreshes, each replacing every volume: 200,000 distinct ids
            state = ProjectState(
                PID,
                "p",
                {},
                ProjectData().with_record(volumes.FAMILY, _volumes(generation, live)),
                {"volumes": 0.0},
                True,
                0.1,
            )
            store.update(lambda projects, s=state: projects.__setitem__(PID, s))  # type: ignore[misc]
            lines = series(telemetry.render())
            assert not [line for line in lines if "overflow" in line]
            sizes = [line for line in lines if line.startswith("ovh_cloud_volume_size_bytes")]
            assert len(sizes) == live
            assert any(f'cloud_resource_id="vol-{generation}-0"' in line for line in sizes)
            held.append(sdk_attribute_sets(telemetry))
            if generation == 20:
                gc.collect()
                baseline = process.memory_info().rss
        gc.collect()
        final = process.memory_info().rss
    finally:
        telemetry.shutdown()
    assert telemetry.rebuilds >= 50
    assert max(held) <= 3 * live  # bounded by the live series, not by every id ever seen
    growth = final - baseline
    print(
        f"SDK attribute sets held: max {max(held)}; RSS {baseline / 1e6:.1f} MB at refresh 20, "
        f"{final / 1e6:.1f} MB at 200; rebuilds {telemetry.rebuilds}"
    )
    # 180,000 more ids were seen after the baseline; kept by the SDK they would cost well over 100 MB.
    assert growth < 30_000_000, growth


class MonthClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_simulated_month_and_a_half_of_instance_and_volume_churn() -> None:
    clock = MonthClock()
    world = World(
        seed=3, shape=WorldShape(projects=2, instances_per_project=20, volumes_per_project=20), clock=clock
    )
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    settings = parse_settings(
        {
            "ovh": {"endpoint": sim.url, **sim.credentials},
            "collect": {"max_calls_per_second": 0, "max_staleness": 10 * 86400},
        }
    )
    exporter = Exporter.build(settings, serve=False, clock=clock)
    seen: set[str] = set()
    live = 0
    try:
        for _day in range(0, 46, 2):  # across a month boundary: last month's usage series all retire
            for pid in world.project_ids:
                project = exporter.store.current.projects.get(pid)
                for instance in (project.data.get(instances.FAMILY) or ())[:10] if project else ():
                    world.delete_instance(pid, instance.id)
                    world.create_instance(pid)
                for volume in (project.data.get(volumes.FAMILY) or ())[:10] if project else ():
                    world.delete_volume(pid, volume.id)
                    world.create_volume(pid)
            exporter.refresher.refresh_once()
            lines = series(exporter.telemetry.render())
            assert not [line for line in lines if "overflow" in line]
            live = len([line for line in lines if line.startswith("ovh_cloud_")])
            for state in exporter.store.current.projects.values():
                assert state.success, state.errors
                seen.update(i.id for i in state.data.get(instances.FAMILY) or ())
                seen.update(v.id for v in state.data.get(volumes.FAMILY) or ())
            clock.now += 2 * 86400
        held = sdk_attribute_sets(exporter.telemetry)
    finally:
        sim.stop()
        exporter.telemetry.shutdown()
    assert len(seen) > 450
    assert held <= 1.5 * live + 1000 + 20 * 4 * 2 * 5  # the rebuild bound, plus one refresh's churn


def _node_series(lines: list[str]) -> dict[str, str]:
    """cloud_resource_id -> ovh_status of every ovh_cloud_kube_node_info series."""
    found = {}
    for line in lines:
        if line.startswith("ovh_cloud_kube_node_info{"):
            found[_label(line, "cloud_resource_id")] = _label(line, "ovh_status")
    return found


def _label(line: str, name: str) -> str:
    """The label's value; "" when the series has none (empty labels are left out)."""
    _, found, rest = line.partition(f'{name}="')
    return rest.split('"', 1)[0] if found else ""


def _nodes_in_period(world: World, pid: str) -> dict[str, str | None]:
    """Instance id -> deletedAt of the nodes whose cost is in the current period (live, or deleted
    after it started), as ``nodes`` and ``nodes?history=true`` list them."""
    start = month_start(world.now())
    return {
        node["instanceId"]: node["deletedAt"]
        for cluster in expected.kube_clusters(world, pid).values()
        for pool in cluster["pools"]
        for node in pool["nodes"]
        if node["deletedAt"] is None or datetime.fromisoformat(node["deletedAt"]).timestamp() > start
    }


def test_a_month_of_kubernetes_autoscaling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every 12 hours the autoscaler resizes every nodepool; deleted nodes' series stay while their cost
    is in the period (and join to a cost series), all leave at the month's end, no overflow, and a month
    on the SDK holds no more attribute sets than at the start (the rebuild forgot the retired ones)."""
    clock = Clock()
    monkeypatch.setattr(period, "clock", clock)  # OVH's period comes with cost; this clock if it fails
    world = World(seed=5, shape=WorldShape(projects=8), clock=clock)
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    settings = parse_settings(
        {
            "ovh": {"endpoint": sim.url, **sim.credentials},
            "collect": {"max_calls_per_second": 0, "families": ["cost", "instances", "kube"]},
        }
    )
    exporter = Exporter.build(settings, serve=False, clock=clock)
    deleted_seen: set[str] = set()
    held: list[tuple[int, int]] = []  # (attribute sets the SDK holds, live series), per refresh
    rolled_over = False
    left: list[int] = []  # per month rollover: refresh index, deleted nodes whose series left
    try:
        for _ in range(60):
            month = month_start(world.now())
            world.autoscale()
            exporter.refresher.refresh_once()
            lines = series(exporter.telemetry.render())
            assert not [line for line in lines if "overflow" in line]
            costed = {
                _label(line, "cloud_resource_id") for line in lines if line.startswith("ovh_cloud_cost_")
            }
            nodes = _node_series(lines)
            wanted: dict[str, str | None] = {}
            for pid in world.project_ids:
                wanted |= _nodes_in_period(world, pid)
            assert set(nodes) == set(wanted)
            for instance_id, status in nodes.items():
                assert (status == "deleted") == (wanted[instance_id] is not None)
                assert instance_id in costed, instance_id  # its cost is in the period: the join holds
            if rolled_over:
                assert not deleted_seen & set(nodes)  # deleted last month: their series have left
                left += [len(held), len(deleted_seen)]
                deleted_seen.clear()
            deleted_seen |= {i for i, status in nodes.items() if status == "deleted"}
            live = len([line for line in lines if line.startswith("ovh_cloud_")])
            held.append((sdk_attribute_sets(exporter.telemetry), live))
            clock.advance(12 * 3600)
            rolled_over = month_start(world.now()) != month
    finally:
        sim.stop()
        exporter.telemetry.shutdown()
    assert left and left[1] >= 10, left  # a month boundary was crossed with deleted nodes to forget
    assert exporter.telemetry.rebuilds >= 1
    assert all(count <= 1.5 * live + 1000 + 200 for count, live in held)  # the rebuild bound + one pass
    after = held[left[0]][0]
    assert after <= held[0][0] + 200  # a month on, no more held than at the start: nothing accumulates
    print(f"attribute sets held: {held[0][0]} at the start, max {max(c for c, _ in held)}, {after} after")
