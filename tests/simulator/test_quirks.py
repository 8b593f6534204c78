"""The world serves the quirks captured live answers show (tests/data/captured/), on the projects
quirks.py chooses, so that the product's tests through the simulator read them end to end."""

from __future__ import annotations

import re
from typing import Any

from otel_ovh.simulator import World, WorldShape
from otel_ovh.simulator.quirks import millisecond_dates, unrounded_snapshot_parts
from tests.simulator.support import Clock, cents, usage_lines

MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def _world() -> World:
    return World(seed=42, shape=WorldShape(projects=6), clock=Clock())


def _get(world: World, project: str, path: str) -> Any:
    return world.body(f"/cloud/project/{project}{path}")


def _plan_dates(body: Any) -> list[str]:
    return [
        date
        for flavor in body["flavors"]
        for item in (*flavor["periods"], *flavor["subscriptions"])
        for date in (item["begin"], item["end"])
    ]


def test_plan_dates_have_milliseconds_on_the_chosen_projects() -> None:
    world = _world()
    forms = set()
    for project in world.project_ids:
        dates = _plan_dates(_get(world, project, "/usage/plans"))
        chosen = millisecond_dates(world.project(project))
        assert all((MILLIS if chosen else OFFSET).match(d) for d in dates), (project, dates)
        forms |= {chosen} if dates else set()
    assert forms == {True, False}  # both spellings are served


def test_snapshot_rows_are_the_cent_above_their_unrounded_parts() -> None:
    world = _world()
    seen = 0
    for project in world.project_ids:
        body = _get(world, project, "/usage/current")
        for row in body["hourlyUsage"]["snapshot"] or []:
            parts = [row[p]["totalPrice"] for p in ("instance", "volume") if row[p]]
            if unrounded_snapshot_parts(world.project(project)):
                assert 0 <= row["totalPrice"] - sum(parts) < 0.01 * len(parts) + 1e-9
                seen += round(sum(parts) * 100, 6) != round(row["totalPrice"] * 100, 6)
            else:
                assert round(sum(parts), 2) == row["totalPrice"]
        # the rows, not their parts, add up to OVH's total, as on every other project
        if "totalPrice" in body:  # 2024-era projects send no total
            rows = sum(cents(line["totalPrice"]) for _, line in usage_lines(body))
            assert rows == cents(body["totalPrice"])
    assert seen, "some snapshot row bills the cent above its part"


def test_credit_ids_are_numbers() -> None:
    world = _world()
    ids = [i for p in world.project_ids for i in _get(world, p, "/credit")]
    assert ids and all(type(i) is int for i in ids)
    project = next(p for p in world.project_ids if _get(world, p, "/credit"))
    first = _get(world, project, "/credit")[0]
    detail = _get(world, project, f"/credit/{first}")
    assert detail["id"] == first and type(detail["id"]) is int
    assert {"total_credit", "used_credit", "available_credit"} <= set(detail)


def test_retrieval_fees_are_priced_as_a_money_object() -> None:
    world = _world()
    fees = [
        row["retrievalFees"]
        for p in world.project_ids
        for row in _get(world, p, "/usage/current")["hourlyUsage"]["storage"] or []
        if row.get("retrievalFees")
    ]
    assert fees and all(isinstance(f["totalPrice"], dict) and "value" in f["totalPrice"] for f in fees)
