"""Usage bodies: the money adds up to the cent, and both price encodings agree with each other."""

from __future__ import annotations

from typing import Any

import pytest

from otel_ovh.simulator import World, WorldShape
from otel_ovh.simulator.catalog import FLAVORS, VOLUME_TYPES
from otel_ovh.simulator.quirks import unrounded_snapshot_parts
from otel_ovh.simulator.timeutil import month_start
from tests.simulator.support import Clock, cents, finest, usage_lines

USAGE = ("usage/current", "usage/forecast")


def bodies(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, kind, world.body(f"/cloud/project/{p}/{kind}")) for p in world.project_ids for kind in USAGE]


def price_objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value] if "priceInUcents" in value else []
        return found + [p for v in value.values() for p in price_objects(v)]
    if isinstance(value, list):
        return [p for v in value for p in price_objects(v)]
    return []


@pytest.fixture(scope="module")
def big_world() -> World:
    return World(
        seed=3,
        shape=WorldShape(
            projects=6,
            instances_per_project=40,
            volumes_per_project=30,
            containers_per_project=6,
            buckets_per_project=12,
        ),
        clock=Clock(),
    )


@pytest.mark.parametrize("which", ["world", "big_world"])
def test_top_level_total_is_the_sum_of_the_finest_figures(which: str, request: pytest.FixtureRequest) -> None:
    world: World = request.getfixturevalue(which)
    checked = 0
    for project, kind, body in bodies(world):
        if "totalPrice" not in body:
            continue
        lines = list(usage_lines(body))
        assert lines, f"{project} {kind} has priced lines"
        assert sum(cents(line["totalPrice"]) for _, line in lines) == cents(body["totalPrice"])
        assert sum(cents(f["totalPrice"]) for _, line in lines for f in finest(line)) == cents(
            body["totalPrice"]
        )
        checked += 1
    assert checked >= 2 * (len(world.project_ids) - 2)


def test_every_line_is_the_sum_of_its_parts(big_world: World) -> None:
    for _, _, body in bodies(big_world):
        for section, line in usage_lines(body):
            parts = finest(line)
            assert parts, f"{section} line has details"
            assert cents(line["totalPrice"]) == sum(cents(p["totalPrice"]) for p in parts), (section, line)
            if "quantity" in line and line.get("details"):
                total = sum(d["quantity"]["value"] for d in line["details"])
                assert line["quantity"]["value"] == pytest.approx(total, abs=1e-3)


def test_prices_are_whole_cents_and_both_encodings_agree(big_world: World) -> None:
    for project, _, body in bodies(big_world):
        unrounded = unrounded_snapshot_parts(big_world.project(project))
        for section, line in usage_lines(body):
            parts = finest(line)
            exempt = parts if unrounded and section == "hourlyUsage.snapshot" else []  # see test_quirks.py
            for figure in [line, *parts]:
                price = figure["totalPrice"]
                value = price["value"] if isinstance(price, dict) else price
                if any(figure is part for part in exempt):
                    assert round(value * 10_000) == pytest.approx(value * 10_000, abs=1e-6)
                    continue
                assert round(value * 100) == pytest.approx(value * 100, abs=1e-6)
        for price in price_objects(body):
            assert price["priceInUcents"] == round(price["value"] * 100_000_000)
            assert price["text"] == f"{price['value']:.2f} €"
            assert price["currencyCode"] == "EUR"


def test_both_price_encodings_are_used(world: World) -> None:
    body = world.body(f"/cloud/project/{world.project_ids[0]}/usage/current")
    assert isinstance(body["totalPrice"], dict)
    assert isinstance(body["hourlyUsage"]["instance"][0]["totalPrice"], float)
    assert isinstance(body["hourlyUsage"]["managedKubernetesService"][0]["totalPrice"], dict)
    assert isinstance(body["hourlyUsage"]["rancher"][0]["details"][0]["totalPrice"], dict)
    assert isinstance(body["monthlyUsage"]["savingsPlan"][0]["totalPrice"], dict)
    retrieval = [s["retrievalFees"] for s in body["hourlyUsage"]["storage"] if s["retrievalFees"]]
    assert retrieval and isinstance(retrieval[0]["totalPrice"], dict)


def test_instance_and_volume_details_follow_the_price_list(world: World, clock: Clock) -> None:
    period = month_start(int(clock()))
    for project in world.project_ids:
        base = f"/cloud/project/{project}"
        usage = world.body(f"{base}/usage/current")
        created = {i["id"]: i for i in world.body(f"{base}/instance")}
        for line in usage["hourlyUsage"]["instance"]:
            if line["reference"] not in FLAVORS:
                continue  # local-disk lines
            for detail in line["details"]:
                inst = world.project(project).instances[detail["instanceId"]]
                begin = max(period, inst.created)
                end = clock() if inst.deleted is None else inst.deleted  # a Kubernetes node autoscaled away
                hours = round((end - begin) / 3600, 4)
                assert detail["quantity"] == {"unit": "Hour", "value": hours}
                covered = line.get("savingsPlanIds") and detail is line["details"][0]
                expected = 0 if covered else int(hours * FLAVORS[line["reference"]].hourly * 100 + 0.5)
                assert cents(detail["totalPrice"]) == expected
                assert inst.deleted is not None or created[inst.id]["monthlyBilling"] is None
        sizes = {v["id"]: v["size"] for v in world.body(f"{base}/volume")}
        for line in usage["hourlyUsage"]["volume"]:
            for detail in line["details"]:
                begin = max(period, world.project(project).volumes[detail["volumeId"]].created)
                gib_hours = round(sizes[detail["volumeId"]] * (clock() - begin) / 3600, 4)
                assert detail["quantity"] == {"unit": "GiBh", "value": gib_hours}
                assert cents(detail["totalPrice"]) == int(gib_hours * VOLUME_TYPES[line["type"]] * 100 + 0.5)


def test_monthly_lines_have_no_quantity_and_a_prorated_price(world: World) -> None:
    seen = 0
    for project in world.project_ids:
        usage = world.body(f"/cloud/project/{project}/usage/current")
        for line in usage["monthlyUsage"]["instance"]:
            assert "quantity" not in line
            for detail in line["details"]:
                assert "quantity" not in detail
                assert 0 < detail["totalPrice"] <= FLAVORS[line["reference"]].monthly
                seen += 1
    assert seen >= len(world.project_ids)


def test_forecast_extrapolates_to_the_end_of_the_month(world: World, clock: Clock) -> None:
    for project in world.project_ids:
        base = f"/cloud/project/{project}"
        current, forecast = world.body(f"{base}/usage/current"), world.body(f"{base}/usage/forecast")
        assert forecast["period"]["to"] == "2025-11-01T00:00:00+00:00"
        assert current["period"]["to"] == "2025-10-14T12:00:00+00:00"
        hours_left = (1_761_955_200 - clock()) / 3600
        now_hours = {
            d["instanceId"]: d["quantity"]["value"]
            for line in current["hourlyUsage"]["instance"]
            for d in line["details"]
            if d["quantity"]["unit"] == "Hour"
        }
        for line in forecast["hourlyUsage"]["instance"]:
            if line["quantity"]["unit"] == "Hour":
                for d in line["details"]:
                    gone = world.project(project).instances[d["instanceId"]].deleted is not None
                    assert d["quantity"]["value"] == pytest.approx(
                        now_hours[d["instanceId"]] + (0 if gone else hours_left), abs=1e-3
                    )
        if "totalPrice" in forecast:
            assert forecast["totalPrice"]["value"] > current["totalPrice"]["value"]
        assert "usableCredits" in forecast
    credits = [world.body(f"/cloud/project/{p}/usage/forecast")["usableCredits"] for p in world.project_ids]
    assert any(c is None for c in credits) and any(c and c["totalCredit"] > 0 for c in credits)
