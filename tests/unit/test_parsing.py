"""Parsers against the shapes and quirks of OVH's answers (docs/ovh-api.md)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from otel_ovh.families.forecast import parse_forecast
from otel_ovh.families.instances import parse_flavors, parse_instances
from otel_ovh.families.project import parse_project
from otel_ovh.families.quota import parse_quotas
from otel_ovh.families.storage import parse_s3_buckets, parse_swift_containers
from otel_ovh.families.usage import Usage, parse_usage
from otel_ovh.families.volumes import parse_volumes
from otel_ovh.ovh.fields import GIB, MIB, OUT_OF_RANGE, Problems
from tests.unit import reference_bodies as ref

GIBH = GIB * 3600.0


def _usage(body: Any) -> tuple[Usage, Problems]:
    problems = Problems()
    return parse_usage(body, problems), problems


def _charges(usage: Usage) -> dict[tuple[str, str, str, str, str], float]:
    return {(c.region, c.service, c.sku, c.resource_id, c.billing): c.price for c in usage.charges}


def test_usage_itemises_every_line_at_the_finest_level() -> None:
    usage, problems = _usage(ref.USAGE_CURRENT)
    assert not problems, problems.messages
    charges = _charges(usage)
    assert charges == {
        ("GRA11", "instance", "b3-8", ref.INSTANCE_ID, "hourly"): 21.39,
        ("GRA11", "snapshot", "instance", "", "hourly"): 0.05,
        ("GRA", "storage", "storage-standard", "backups", "hourly"): 0.43,
        ("GRA", "storage", "pcs", "", "hourly"): 0.01,  # Swift lines name no bucket
        ("GRA11", "volume", "classic", ref.VOLUME_ID, "hourly"): 1.24,
        ("SBG5", "instance", "b3-16", ref.MONTHLY_INSTANCE_ID, "monthly"): 63.0,
        (
            "GRA11",
            "octavia-loadbalancer",
            "loadbalancer-small",
            "c0ffee00-0000-4000-8000-000000000002",
            "hourly",
        ): 4.33,
    }
    assert sum(charges.values()) == pytest.approx(usage.total, abs=0.005)
    assert usage.currency == "EUR"
    assert usage.period_start == 1759269600.0  # 2025-10-01T00:00:00+02:00


def test_usage_quantities_are_converted_and_monthly_lines_have_none() -> None:
    usage, _ = _usage(ref.USAGE_CURRENT)
    consumption = {(c.service, c.resource_id, c.unit): c.value for c in usage.consumption}
    assert consumption[("instance", ref.INSTANCE_ID, "seconds")] == 310.0 * 3600
    assert consumption[("volume", ref.VOLUME_ID, "byte_seconds")] == 31000.0 * GIBH
    assert consumption[("storage", "backups", "byte_seconds")] == pytest.approx(41235.7 * GIBH)
    assert consumption[("snapshot", "", "byte_seconds")] == 5120.0 * GIBH
    assert not any(c.resource_id == ref.MONTHLY_INSTANCE_ID for c in usage.consumption)
    transfers = {(t.resource_id, t.direction, t.scope): t.bytes for t in usage.transfers}
    assert transfers[("backups", "receive", "external")] == pytest.approx(3.2 * GIB)
    assert transfers[("backups", "transmit", "external")] == pytest.approx(0.8 * GIB)
    assert transfers[("backups", "receive", "internal")] == pytest.approx(0.0014659259468317 * GIB)


def test_minimal_shape_with_null_sections() -> None:
    usage, problems = _usage(ref.USAGE_MINIMAL)
    assert not problems
    assert usage.charges == () and usage.total == 0.0 and usage.currency == "EUR"


def test_2024_shape_without_total_or_resource_ids() -> None:
    usage, problems = _usage(ref.USAGE_2024)
    assert not problems, problems.messages
    assert usage.total is None and usage.currency is None
    charges = _charges(usage)
    assert charges[("BHS5", "instance", "d2-2", ref.INSTANCE_ID, "hourly")] == 0.99
    assert charges[("BHS5", "instance_option", "win-licence", ref.INSTANCE_ID, "hourly")] == 2.0
    assert charges[("SGP1", "instance_bandwidth", "bandwidth", "", "hourly")] == 0.5
    assert sum(charges.values()) == pytest.approx(0.99 + 0.5 + 2.0 + 0.02)
    assert [(t.region, t.direction, t.bytes) for t in usage.transfers] == [("SGP1", "transmit", 50.0 * GIB)]


def test_newer_sections_with_price_objects_and_time_units() -> None:
    usage, problems = _usage(ref.USAGE_NEWER_SECTIONS)
    assert not problems, problems.messages
    assert usage.currency == "GBP"
    charges = _charges(usage)
    assert charges[("UK1", "kubernetes", "mks.free", "k8s-1", "hourly")] == 5.0
    assert charges[("UK1", "rancher", "rancher.standard", "r-1", "hourly")] == 3.0
    assert charges[("UK1", "quantum_processing_unit", "qpu.emulator", "q-1", "hourly")] == 2.0
    assert (
        charges[("UK", "storage", "storage-standard-ia", "archive", "hourly")] == 2.0
    )  # incl. retrieval fees
    assert charges[("", "certification", "hds", "", "monthly")] == 1.0
    assert charges[("", "savings_plan", "b3-8", "5a0c7f7e-0000-4000-8000-000000000001", "monthly")] == 2.0
    assert sum(charges.values()) == pytest.approx(usage.total)
    hours = {(c.service, c.unit): c.value for c in usage.consumption}
    assert hours[("rancher", "seconds")] == 36000.0  # 600 minutes
    assert hours[("quantum_processing_unit", "seconds")] == 7200.0
    assert hours[("instance", "byte_seconds")] == 1000.0 * GIBH  # local-disk lines are GiBh, not hours


def test_a_line_total_beyond_its_details_is_kept_unattributed() -> None:
    body = copy.deepcopy(ref.USAGE_CURRENT)
    body["hourlyUsage"]["instance"][0]["totalPrice"] = 25.0  # details only explain 21.39
    usage, _ = _usage(body)
    charges = _charges(usage)
    assert charges[("GRA11", "instance", "b3-8", "", "hourly")] == pytest.approx(3.61)
    assert sum(charges.values()) == pytest.approx(90.45 + 3.61)


@pytest.mark.parametrize(
    ("mutate", "expected_problem"),
    [
        (lambda b: b["hourlyUsage"]["volume"][0]["details"][0].update(totalPrice="1.24"), "expected a price"),
        (lambda b: b["hourlyUsage"].update(instance={"not": "a list"}), "expected a list"),
        (
            lambda b: b["hourlyUsage"]["instance"][0]["details"][0].update(
                quantity={"unit": "Parsec", "value": 1}
            ),
            "unknown unit",
        ),
        (lambda b: b["monthlyUsage"]["instance"][0].update(details=[42]), "expected an object"),
        (lambda b: b.update(period={"from": "yesterday"}), "not a date"),
        (lambda b: b.update(totalPrice=[1, 2]), "expected a price"),
    ],
)
def test_broken_values_are_dropped_with_a_problem_never_raised(mutate: Any, expected_problem: str) -> None:
    body = copy.deepcopy(ref.USAGE_CURRENT)
    mutate(body)
    usage, problems = _usage(body)
    assert any(expected_problem in message for message in problems.messages), problems.messages
    assert usage.charges  # the rest of the answer is still read


@pytest.mark.parametrize("body", [None, [], "text", 42, {"hourlyUsage": "x", "monthlyUsage": 1}])
def test_usage_of_the_wrong_shape_entirely(body: Any) -> None:
    usage, _ = _usage(body)
    assert usage.charges == ()


def test_quotas_units_unlimited_and_null_categories() -> None:
    problems = Problems()
    quotas = {(q.region, q.quota): (q.limit, q.usage) for q in parse_quotas(ref.QUOTAS, problems)}
    assert not problems
    assert quotas[("GRA11", "instances")] == (20, 3)
    assert quotas[("GRA11", "ram_bytes")] == (240000 * MIB, 22528 * MIB)
    assert quotas[("GRA11", "volume_bytes")] == (10000 * GIB, 350 * GIB)
    assert quotas[("GRA11", "volumes")] == (100, 4)  # used count has no "used" prefix
    assert quotas[("GRA11", "floating_ips")] == (10, 1)
    assert quotas[("GRA11", "load_balancers")] == (10, 1)  # "loadbalancer"/"Loadbalancers" casing
    assert quotas[("GRA11", "keypairs")] == (100, None)  # no usage counterpart
    assert quotas[("WAW1", "cores")] == (None, 0)  # -1 is unlimited: no limit reported
    assert not any(name.startswith("share") for _, name in quotas)  # null category skipped
    assert not any(region == "WAW1" and name == "volumes" for region, name in quotas)


def test_quotas_2020_shape_and_broken_entries() -> None:
    problems = Problems()
    body = [
        *ref.QUOTAS_2020,
        {"instance": {"maxCores": 1}},
        "junk",
        {"region": "X1", "instance": {"maxCores": "many", "usedCores": -5}},
    ]
    quotas = parse_quotas(body, problems)
    assert {(q.region, q.quota) for q in quotas} == {
        ("SBG5", "instances"),
        ("SBG5", "cores"),
        ("SBG5", "ram_bytes"),
        ("SBG5", "keypairs"),
    }
    assert len(problems.messages) == 4


def test_instances_from_list_and_detail_shapes() -> None:
    problems = Problems()
    instances = parse_instances([ref.INSTANCE_LIST_ITEM, ref.INSTANCE_DETAIL, {"name": "no id"}], problems)
    assert [i.id for i in instances] == [ref.INSTANCE_ID, ref.MONTHLY_INSTANCE_ID]
    listed, detailed = instances
    assert listed.flavor_id == ref.FLAVOR_ID and listed.flavor is None
    assert (
        detailed.flavor is not None and detailed.flavor.vcpus == 2 and detailed.flavor.memory_bytes == 7 * GIB
    )
    assert detailed.flavor_id == ref.FLAVOR_ID  # taken from the embedded flavor
    assert len(problems.messages) == 1


def test_flavors_volumes_and_object_storage() -> None:
    problems = Problems()
    (flavor,) = parse_flavors([ref.FLAVOR], problems)
    assert (flavor.name, flavor.vcpus, flavor.memory_bytes) == ("b2-7", 2, 7 * GIB)
    volumes = parse_volumes([*ref.VOLUMES, {**ref.VOLUMES[0], "id": "v3", "size": None}], problems)
    assert [v.size_bytes for v in volumes] == [100 * GIB, 50 * GIB, None]
    (container,) = parse_swift_containers(ref.SWIFT, problems)
    assert (container.name, container.kind, container.size_bytes, container.objects) == (
        "backups",
        "swift",
        52428800,
        42,
    )
    (bucket,) = parse_s3_buckets(ref.S3, problems, "GRA")
    assert (bucket.name, bucket.kind, bucket.size_bytes, bucket.objects) == ("backups", "s3", 1024, 3)
    assert not problems


@pytest.mark.parametrize("vcpus", [1e300, 2.0**53 + 2, 10**400])
def test_a_vcpu_count_too_large_for_a_metric_point_is_dropped_alone(vcpus: float) -> None:
    problems = Problems()
    (flavor,) = parse_flavors([{**ref.FLAVOR, "vcpus": vcpus}], problems)
    assert flavor.vcpus is None and flavor.memory_bytes == 7 * GIB
    assert OUT_OF_RANGE in problems.kinds


def test_project_and_forecast() -> None:
    problems = Problems()
    info = parse_project(ref.PROJECT, problems, ref.PROJECT_ID)
    assert (info.name, info.status, info.plan_code) == ("prod-eu", "ok", "project.2018")
    assert (
        parse_project({"project_id": ref.PROJECT_ID, "description": None}, problems, ref.PROJECT_ID).name
        == ref.PROJECT_ID
    )
    forecast = parse_forecast(ref.FORECAST, problems)
    assert forecast is not None and (forecast.total, forecast.currency) == (195.2, "EUR")
    older = parse_forecast(ref.USAGE_2024, problems)
    assert older is not None and older.total == pytest.approx(3.51)
    assert not problems


def test_forecast_usable_credits_are_read_when_offered() -> None:
    problems = Problems()
    offered = {
        **ref.FORECAST,
        "usableCredits": {"totalCredit": 42.5, "details": [{"id": 1, "usedAmount": 42.5}]},
    }
    forecast = parse_forecast(offered, problems)
    assert forecast is not None and forecast.usable_credits == 42.5
    none_offered = parse_forecast({**ref.FORECAST, "usableCredits": None}, problems)
    assert none_offered is not None and none_offered.usable_credits is None and none_offered.total == 195.2
    assert not problems
    odd = parse_forecast({**ref.FORECAST, "usableCredits": {"totalCredit": "lots"}}, problems)
    assert odd is not None and odd.usable_credits is None and odd.total == 195.2 and problems


def test_volume_attachments_count_the_instances_and_zero_is_idle() -> None:
    from otel_ovh.families.volumes import FAMILY as VOLUMES

    problems = Problems()
    bodies = [
        *ref.VOLUMES,  # attached to one instance, then to none
        {**ref.VOLUMES[0], "id": "v3", "attachedTo": None},  # nothing said: no series, not "idle"
        {**ref.VOLUMES[0], "id": "v4"},
        {**ref.VOLUMES[0], "id": "v5", "attachedTo": "i-1"},  # wrong type: dropped and reported
        {**ref.VOLUMES[0], "id": "v6", "attachedTo": ["i-1", "i-2", 7]},  # a non-id is not counted
    ]
    del bodies[3]["attachedTo"]
    volumes = parse_volumes(bodies, problems)
    assert [v.attachments for v in volumes] == [1, 0, None, None, None, 2]
    assert len(problems.messages) == 1
    (metric,) = [m for m in VOLUMES.metrics if m.name == "ovh.cloud.volume.attachments"]
    points = list(metric.points(tuple(volumes)))
    assert [(p[0]["cloud.resource_id"], p[1]) for p in points] == [
        (volumes[0].id, 1.0),
        (volumes[1].id, 0.0),
        ("v6", 2.0),
    ]
    assert set(points[0][0]) == {"cloud.region", "cloud.resource_id"}
    assert list(metric.points(())) == []
