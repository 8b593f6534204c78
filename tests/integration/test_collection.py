"""What one refresh fetches and exports: families, regions, projects, labels, credentials."""

from __future__ import annotations

import re

import pytest

from otel_ovh.export.catalog import CATALOG
from otel_ovh.families import BY_NAME as FAMILY_CALLS
from otel_ovh.families import FAMILY_NAMES as FAMILIES
from otel_ovh.serve.app import Exporter
from otel_ovh.simulator import SimulatedOvh, World
from tests.e2e import expected
from tests.integration.conftest import ExporterFactory, series, settings_for


def _metric_names(exposition: bytes) -> set[str]:
    return {re.split(r"[{ ]", line, maxsplit=1)[0] for line in series(exposition)}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_that_is_off_makes_no_call_and_no_series(
    family: str, sim: SimulatedOvh, make_exporter: ExporterFactory
) -> None:
    exporter = make_exporter(collect={"families": [f for f in FAMILIES if f != family]})
    exporter.refresher.refresh_once()
    shared = {route for other in FAMILY_CALLS.values() if other.name != family for route in other.routes}
    for route in FAMILY_CALLS[family].routes:
        if (family == "storage" and route.endswith("/region")) or route in shared:
            continue  # a route another family also calls (the network family reads the quota too)
        assert sim.call_count(route=route) == 0, route
    names = _metric_names(exporter.telemetry.render())
    for metric in CATALOG:
        if metric.family == family:
            assert metric.prometheus_name not in names
    others = {m.prometheus_name for m in CATALOG if m.family not in (family, "self")}
    assert names & others


def test_every_family_on_makes_the_expected_calls_once_per_project(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory
) -> None:
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    routes = [route for family in FAMILY_CALLS.values() if not family.account for route in family.routes]
    for pid in world.project_ids:
        for route in set(routes):
            if route.count("{") == 1:  # per project; the others are per region or per item listed
                # once per family that lists it, but for a family that reads the same answer from a
                # family it uses (network reads the quota family's record)
                askers = [
                    family
                    for family in FAMILY_CALLS.values()
                    if route in family.routes
                    and not any(route in FAMILY_CALLS[used].routes for used in family.uses)
                ]
                assert sim.call_count(route=route, project=pid) == len(askers), (pid, route)
    assert sim.call_count(route="/cloud/project") == 1  # discovery


def test_region_filters(world: World, make_exporter: ExporterFactory) -> None:
    pid = world.project_ids[0]
    idle = sorted(expected.idle_regions(world, pid))[0]
    exporter = make_exporter(collect={"regions": {"include": ["GRA11", "GRA", idle]}})
    exporter.refresher.refresh_once()
    regions = set(re.findall(r'cloud_region="([^"]*)"', exporter.telemetry.render().decode()))
    assert regions - {""} == {"GRA11", "GRA", idle}  # the idle region is kept: the include list names it

    exporter = make_exporter(collect={"regions": {"exclude": ["GRA11"]}})
    exporter.refresher.refresh_once()
    regions = set(re.findall(r'cloud_region="([^"]*)"', exporter.telemetry.render().decode()))
    assert "GRA11" not in regions and "SBG5" in regions
    own = [line for line in series(exporter.telemetry.render()) if f'cloud_account_id="{pid}"' in line]
    assert not [line for line in own if f'cloud_region="{idle}"' in line]  # idle, not named: no zeros


def test_configured_projects_with_labels(
    world: World, make_exporter: ExporterFactory, sim: SimulatedOvh
) -> None:
    pid = world.project_ids[1]
    exporter = make_exporter(projects=[{"id": pid, "labels": {"team": "data", "env": "prod"}}])
    exporter.refresher.refresh_once()
    lines = series(exporter.telemetry.render())
    # The account-wide price list belongs to no project: neither its id nor its labels.
    account = [line for line in lines if line.startswith("ovh_cloud_list_price{")]
    assert account and not [line for line in account if "cloud_account_id=" in line or "team=" in line]
    ovh_lines = [line for line in lines if line.startswith("ovh_cloud_") and line not in account]
    assert ovh_lines
    assert all(f'cloud_account_id="{pid}"' in line for line in ovh_lines)
    assert all('team="data"' in line and 'env="prod"' in line for line in ovh_lines)
    assert sim.call_count(route="/cloud/project") == 0  # listed projects need no discovery


def test_discovery_follows_projects_that_come_and_go(world: World, make_exporter: ExporterFactory) -> None:
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    assert set(exporter.store.current.projects) == set(world.project_ids)
    gone = world.project_ids[0]
    world.remove_project(gone)
    new = world.add_project()
    exporter.refresher.refresh_once()
    assert set(exporter.store.current.projects) == set(world.project_ids)
    body = exporter.telemetry.render().decode()
    assert gone not in body and f'cloud_account_id="{new}"' in body


def test_oauth2_service_account(sim: SimulatedOvh, world: World, make_exporter: ExporterFactory) -> None:
    exporter = make_exporter(raw={"ovh": {"endpoint": sim.url, **sim.oauth2_credentials}})
    exporter.refresher.refresh_once()
    assert set(exporter.store.current.projects) == set(world.project_ids)
    assert all(state.success for state in exporter.store.current.projects.values())
    assert sim.call_count(route="/auth/oauth2/token") >= 1


def test_self_metrics_count_calls_by_route_and_status(
    sim: SimulatedOvh, make_exporter: ExporterFactory
) -> None:
    exporter = make_exporter(collect={"families": ["quota"]})
    exporter.refresher.refresh_once()
    body = exporter.telemetry.render().decode()
    pattern = r'otel_ovh_api_requests_total\{http_response_status_code="200",http_route="([^"]+)"\} (\S+)'
    counted = {route: float(value) for route, value in re.findall(pattern, body)}
    assert counted["/cloud/project/{serviceName}/quota"] == sim.call_count(
        route="/cloud/project/{serviceName}/quota"
    )
    assert counted["/cloud/project"] == 1


def test_settings_shape_matches_design(sim: SimulatedOvh) -> None:
    raw = settings_for(sim)
    assert raw["ovh"]["endpoint"].startswith("http://127.0.0.1:")


def test_a_project_whose_plans_answer_404_has_no_plan_and_is_not_failing(
    sim: SimulatedOvh, world: World, make_exporter: ExporterFactory
) -> None:
    from otel_ovh.simulator import Fault

    def plan_lines(exporter: Exporter, pid: str) -> list[str]:
        return [
            line
            for line in series(exporter.telemetry.render())
            if line.startswith("ovh_cloud_savings_plan_size{") and f'cloud_account_id="{pid}"' in line
        ]

    pid = next(p for p in world.project_ids if world.body(f"/cloud/project/{p}/usage/plans")["flavors"])
    healthy = make_exporter()
    healthy.refresher.refresh_once()
    assert plan_lines(healthy, pid)  # the project has plans when OVH says so
    sim.faults.add(Fault(project=pid, path="usage/plans", kind="status", status=404, times=100))
    exporter = make_exporter()
    exporter.refresher.refresh_once()
    state = exporter.store.current.projects[pid]
    assert state.success, state.errors
    assert plan_lines(exporter, pid) == []
