"""The storage family asks which regions offer object storage once a day, and lists buckets only there.

Before the cache it listed S3 buckets in every region of every project on every refresh (9 calls a project
in the simulator, 7 of them answered "no object storage here"). These tests hold that the cache saves
those calls without ever hiding a bucket: same buckets as asking everywhere, a refused or failing region
detail falls back to listing, a new region is looked up, and the day-old answer is asked again.
"""

from __future__ import annotations

from otel_ovh.families.storage import FAMILY as STORAGE
from otel_ovh.families.storage import REGION_SERVICES, RegionServices
from otel_ovh.simulator import SimulatedOvh, World
from otel_ovh.simulator.faults import Fault
from tests.e2e import expected
from tests.integration.conftest import ExporterFactory

DETAIL = "/cloud/project/{serviceName}/region/{regionName}"
LISTING = "/cloud/project/{serviceName}/region/{regionName}/storage"


def _storage_regions(world: World, pid: str) -> set[str]:
    regions = world.body(expected.project_path(pid, "/region"))
    return {
        r
        for r in regions
        if any(
            s["name"].startswith("storage")
            for s in world.body(expected.project_path(pid, f"/region/{r}"))["services"]
        )
    }


def _listed_regions(sim: SimulatedOvh, pid: str) -> set[str]:
    return {
        c.path.split("/region/")[1].split("/")[0]
        for c in sim.calls
        if c.route == LISTING and c.project == pid
    }


def _exported_sizes(exporter_buckets: object) -> dict[str, float]:
    assert isinstance(exporter_buckets, tuple)
    return {b.name: b.size_bytes for b in exporter_buckets}


def test_buckets_listed_only_where_storage_is_offered_and_details_asked_once(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory
) -> None:
    exporter = make_exporter(collect={"families": ["storage"]})
    exporter.refresher.refresh_once()
    for pid in world.project_ids:
        regions = world.body(expected.project_path(pid, "/region"))
        storage = _storage_regions(world, pid)
        assert 0 < len(storage) < len(regions)  # the test means something only if some are skipped
        assert sim.call_count(route=DETAIL, project=pid) == len(regions)
        assert _listed_regions(sim, pid) == storage
        # Nothing is hidden: the same buckets as asking every region.
        buckets = exporter.store.current.projects[pid].data.get(STORAGE)
        assert _exported_sizes(buckets) == expected.storage_bytes(world, pid)

    sim.reset_calls()
    exporter.refresher.refresh_once()
    for pid in world.project_ids:
        storage = _storage_regions(world, pid)
        assert sim.call_count(route=DETAIL, project=pid) == 0
        assert _listed_regions(sim, pid) == storage
        flat = sum(1 for route in STORAGE.routes if "{regionName}" not in route)
        assert sim.call_count(project=pid) == flat + len(storage)


def test_details_are_asked_again_after_a_day_and_for_a_new_region(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory
) -> None:
    now = [0.0]
    exporter = make_exporter(collect={"families": ["storage"]})
    REGION_SERVICES[exporter.api] = RegionServices(ttl=86_400, clock=lambda: now[0])
    exporter.refresher.refresh_once()
    pid = world.project_ids[0]
    regions = world.body(expected.project_path(pid, "/region"))

    world.add_region(pid, "UK1")  # a compute region the project just enabled
    sim.reset_calls()
    now[0] += 3600
    exporter.refresher.refresh_once()
    assert {c.path.rsplit("/", 1)[1] for c in sim.calls if c.route == DETAIL and c.project == pid} == {"UK1"}
    assert "UK1" not in _listed_regions(sim, pid)

    sim.reset_calls()
    now[0] += 86_400
    exporter.refresher.refresh_once()
    assert sim.call_count(route=DETAIL, project=pid) == len(regions) + 1


def test_a_refused_or_failing_region_detail_falls_back_to_listing(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory
) -> None:
    pid, other = world.project_ids[:2]
    # A consumer key without the access rule for region details: refused for good. (A glob's "*" also
    # matches "/", so each region is named, or the bucket listings would be refused too.)
    for region in world.body(expected.project_path(pid, "/region")):
        sim.faults.add(Fault(project=pid, path=f"region/{region}", status=403))
    # OVH failing for a moment on another project: not remembered.
    sim.faults.add(Fault(project=other, path="region/SBG5", status=503))
    exporter = make_exporter(collect={"families": ["storage"], "retries": 0})
    exporter.refresher.refresh_once()
    sim.faults.clear()

    state = exporter.store.current.projects[pid]
    assert state.success, state.errors
    regions = set(world.body(expected.project_path(pid, "/region")))
    assert _listed_regions(sim, pid) == regions  # asked everywhere, as before the cache
    assert _exported_sizes(state.data.get(STORAGE)) == expected.storage_bytes(world, pid)
    assert "SBG5" in _listed_regions(sim, other)

    sim.reset_calls()
    exporter.refresher.refresh_once()
    assert sim.call_count(route=DETAIL, project=pid) == 0  # the refusal is remembered for the day
    assert _listed_regions(sim, pid) == regions
    other_details = {c.path.rsplit("/", 1)[1] for c in sim.calls if c.route == DETAIL and c.project == other}
    assert other_details == {"SBG5"}  # the transient failure is asked again
    assert "SBG5" not in _listed_regions(sim, other)
