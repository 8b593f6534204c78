"""One bad value in an OVH answer costs that value only, through the served process's own HTTP endpoint.

Each case turns one value of one project's answer hostile (valid JSON all the same) through the hostile
OVH stand-in, and holds that: the other projects' series are whole and fresh; the affected project loses
only the series (or the label) the value fed; ``/metrics`` and ``/probe`` answer 200 and parse; one
warning per kind of bad value is logged per refresh, and no traceback.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from otel_ovh.collect.snapshot import ProjectState
from otel_ovh.export.catalog import prometheus_metric_name
from otel_ovh.families import BY_NAME, FAMILIES
from otel_ovh.ovh.fields import NEGATIVE, OUT_OF_RANGE, UNENCODABLE, WRONG_TYPE
from otel_ovh.serve.app import Exporter
from otel_ovh.simulator import World
from otel_ovh.simulator.routes import Router
from tests.integration.conftest import ExporterFactory
from tests.support.hostile_ovh import HostileOvh, Rule
from tests.support.otlp_receiver import OtlpGrpcReceiver

Lines = set[str]
Unit = Callable[[str], bool]  # the lines the bad value may change: its series, its record


@dataclass(frozen=True)
class Case:
    id: str
    path: str  # below /cloud/project/{pid}; {kube}, {credit}, {alert}: the project's first one
    rewrite: Callable[[Any], Any]
    kind: str
    unit: Callable[[Any], Unit]  # from the answer as OVH sent it
    kept: Callable[[Any], str] | None = None  # a series that must still be there, the bad value dropped
    normalize: Callable[[str], str] | None = None  # what else may differ in every line of the project


def first(key: str, value: Any, where: Callable[[Any], Any] = lambda body: body[0]) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        where(body)[key] = value
        return body

    return rewrite


def raw(key: str, token: str, where: Callable[[Any], Any]) -> Callable[[Any], bytes]:
    """JSON that ``json.dumps`` does not write, such as the literal ``1e400``."""

    def rewrite(body: Any) -> bytes:
        where(body)[key] = "@raw@"
        return json.dumps(body).replace('"@raw@"', token).encode()

    return rewrite


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def with_id(prefix: str = "") -> Callable[[Any], Unit]:
    def unit(body: Any) -> Unit:
        resource = f'cloud_resource_id="{body[0]["id"]}"'
        return lambda line: line.startswith(prefix) and resource in line

    return unit


def of(metric: str, **labels: str) -> Unit:
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return lambda line: line.startswith(metric) and all(label in line for label in wanted)


def usage_line(body: Any) -> Any:
    return body["hourlyUsage"]["instance"][0]


def usage_detail(body: Any) -> Any:
    return usage_line(body)["details"][0]


def usage_unit(metric: str) -> Callable[[Any], Unit]:
    def unit(body: Any) -> Unit:
        line = usage_line(body)
        return of(metric, cloud_region=line["region"], ovh_sku=line["reference"], ovh_service="instance")

    return unit


def quota_unit(metric: str, quota: str) -> Callable[[Any], Unit]:
    return lambda body: of(metric, cloud_region=body[0]["region"], ovh_quota=quota)


def project_name(line: str) -> str:
    return re.sub(r'ovh_project_name="[^"]*"', 'ovh_project_name="?"', line)


def named(metric: str, label: str, key: str = "id") -> Callable[[Any], Unit]:
    """The series of ``metric`` whose ``label`` is the answer's (or its first item's) ``key``."""

    def unit(body: Any) -> Unit:
        item = body[0] if isinstance(body, list) else body
        return of(metric, **{label: str(item[key])})

    return unit


def resolve(world: World, pid: str, path: str) -> str:
    """``path`` with the project's first cluster, credit and spend alert filled in."""
    below = f"/cloud/project/{pid}"
    firsts = {
        name: world.body(f"{below}/{route}")[0] for name, route in FIRSTS.items() if f"{{{name}}}" in path
    }
    return below + path.format(**firsts)


FIRSTS = {"kube": "kube", "credit": "credit", "alert": "alerting"}
VOLUME_SIZE = "ovh_cloud_volume_size_bytes"
CASES = [
    Case(
        "surrogate in the project's description",
        "",
        lambda body: {**body, "description": "\ud800", "projectName": "x\udfff"},
        UNENCODABLE,
        lambda body: lambda line: False,
        kept=lambda body: f'ovh_project_name="{body["project_id"]}"',
        normalize=project_name,
    ),
    Case(
        "surrogate in a volume's name",
        "/volume",
        first("name", "\ud800"),
        UNENCODABLE,
        with_id(),
        kept=lambda body: f'{VOLUME_SIZE}{{cloud_account_id="',
    ),
    Case("surrogate in a volume's region", "/volume", first("region", "GRA\udbff"), UNENCODABLE, with_id()),
    Case(
        "surrogate in an instance's name",
        "/instance",
        first("name", "web-\ud800"),
        UNENCODABLE,
        with_id("ovh_cloud_instance_"),
    ),
    Case(
        "surrogate in an instance's region",
        "/instance",
        first("region", "\udc00"),
        UNENCODABLE,
        with_id("ovh_cloud_instance_"),
    ),
    Case(
        "1e400 in a price",
        "/usage/current",
        raw("totalPrice", "1e400", usage_detail),
        OUT_OF_RANGE,
        usage_unit("ovh_cloud_cost_total"),
    ),
    Case(
        "a 400-digit quantity",
        "/usage/current",
        first("value", 10**400, lambda body: usage_detail(body)["quantity"]),
        OUT_OF_RANGE,
        usage_unit("ovh_cloud_usage_seconds_total"),
    ),
    Case(
        "a 400-digit quota",
        "/quota",
        first("maxCores", 10**400, lambda body: body[0]["instance"]),
        OUT_OF_RANGE,
        quota_unit("ovh_cloud_quota_limit", "cores"),
    ),
    Case("NaN as a volume's size", "/volume", first("size", math.nan), OUT_OF_RANGE, with_id(VOLUME_SIZE)),
    Case("a negative volume size", "/volume", first("size", -5), NEGATIVE, with_id(VOLUME_SIZE)),
    Case("text as a volume's size", "/volume", first("size", "500"), WRONG_TYPE, with_id(VOLUME_SIZE)),
    Case(
        "an object as an instance's name",
        "/instance",
        first("name", {"a": 1}),
        WRONG_TYPE,
        with_id("ovh_cloud_instance_"),
    ),
    Case(
        "a boolean as a quota's usage",
        "/quota",
        first("usedCores", True, lambda body: body[0]["instance"]),
        WRONG_TYPE,
        quota_unit("ovh_cloud_quota_usage", "cores"),
    ),
    Case(
        "deep nesting in a volume's name",
        "/volume",
        first("name", nested(200)),
        WRONG_TYPE,
        with_id(),
        kept=lambda body: f'{VOLUME_SIZE}{{cloud_account_id="',
    ),
    Case(
        "surrogate in a Swift container's name",
        "/storage",
        first("name", "c\ud800"),
        UNENCODABLE,
        named("ovh_cloud_storage_", "cloud_resource_id", "name"),
    ),
    Case(
        "1e400 as an S3 bucket's size",
        "/region/GRA/storage",
        raw("objectsSize", "1e400", lambda body: body[0]),
        OUT_OF_RANGE,
        named("ovh_cloud_storage_size_bytes", "cloud_resource_id", "name"),
    ),
    Case(
        "surrogate in a Kubernetes cluster's name",
        "/kube/{kube}",
        first("name", "\udfff", lambda body: body),
        UNENCODABLE,
        named("ovh_cloud_kube_", "k8s_cluster_uid"),
    ),
    Case(
        "a 400-digit credit",
        "/credit/{credit}",
        lambda body: {**body, "available_credit": {"value": 10**400, "priceInUcents": 10**400}},
        OUT_OF_RANGE,
        named("ovh_cloud_credit_available", "ovh_credit_id"),
    ),
    Case(
        "NaN as a spend threshold",
        "/alerting/{alert}",
        lambda body: {**body, "monthlyThreshold": math.nan, "formattedMonthlyThreshold": {"value": math.inf}},
        OUT_OF_RANGE,
        lambda body: of("ovh_cloud_spend_threshold"),
    ),
    Case(
        "text as a savings plan's usage over quota",
        "/usage/plans",
        first("quantity", "5", lambda body: body["flavors"][0]["fees"]["overQuota"]),
        WRONG_TYPE,
        lambda body: of("ovh_cloud_savings_plan_over_quota", ovh_sku=body["flavors"][0]["flavor"]),
    ),
    Case(
        "surrogate in a floating IP's status",
        "/region/EU-WEST-PAR/floatingip",
        first("status", "\ud800"),
        UNENCODABLE,
        named("ovh_cloud_floating_ip_info", "cloud_resource_id"),
    ),
    Case(
        "1e400 as the forecast's usable credits",
        "/usage/forecast",
        raw("totalCredit", "1e400", lambda body: body["usableCredits"]),
        OUT_OF_RANGE,
        lambda body: of("ovh_cloud_cost_forecast_usable_credits"),
    ),
]


def scrape(exporter: Exporter, path: str = "/metrics") -> str:
    assert exporter.server is not None
    answer = requests.get(f"{exporter.server.url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert answer.status_code == 200, answer.text
    families = list(text_string_to_metric_families(answer.text))  # parses, or raises
    assert families or path != "/metrics"
    return answer.text


def ovh_lines(body: str, pid: str) -> Lines:
    account = f'cloud_account_id="{pid}"'
    return {line for line in body.splitlines() if line.startswith("ovh_cloud_") and account in line}


def fresh(body: str, pid: str) -> bool:
    account = f'cloud_account_id="{pid}"'
    success = [line for line in body.splitlines() if line.startswith("otel_ovh_collection_success")]
    ages = [line for line in body.splitlines() if line.startswith("otel_ovh_data_fetched_timestamp_seconds")]
    return any(account in line and line.endswith(" 1.0") for line in success) and any(
        account in line for line in ages
    )


def series_name(line: str) -> str:
    return line.split("{", 1)[0].split(" ", 1)[0]


def with_derived(unit: Unit, lines: Lines) -> Unit:
    """``unit`` and the series of the families that make no call and work their values out from the
    records of others (``routes`` empty, ``uses`` naming them: the advice prices the inventory and the
    bill), when the bad value's series belong to one of those: what a value feeds, the series derived
    from it follow. Series of families the bad value does not feed stay compared."""
    names = {
        family.name: {prometheus_metric_name(m.name, m.unit, m.kind) for m in family.metrics}
        for family in FAMILIES
    }
    fed = {
        name
        for name, series in names.items()
        if any(unit(line) and series_name(line) in series for line in lines)
    }
    derived = {
        s for family in FAMILIES if not family.routes and fed & set(family.uses) for s in names[family.name]
    }
    return lambda line: unit(line) or series_name(line) in derived


def dropped_warnings(records: list[logging.LogRecord]) -> Counter[tuple[int, str]]:
    found: Counter[tuple[int, str]] = Counter()
    for record in records:
        match = re.match(r"refresh (\d+): \d+ value\(s\) dropped, ([^:]+):", record.getMessage())
        if match:
            found[(int(match.group(1)), match.group(2))] += 1
    return found


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_one_bad_value_costs_that_value_only(
    case: Case,
    world: World,
    hostile: HostileOvh,
    served: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pid, *others = world.project_ids
    exporter = served()
    exporter.refresher.refresh_once()
    before = scrape(exporter)
    path = resolve(world, pid, case.path)
    sent = world.body(path)
    unit = case.unit(sent)
    hostile.add(Rule(path, rewrite=case.rewrite))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        exporter.refresher.refresh_once()
        exporter.refresher.refresh_once()
    after = scrape(exporter)

    for other in others:  # whole and fresh
        assert ovh_lines(after, other) == ovh_lines(before, other)
        assert fresh(after, other)
        assert ovh_lines(scrape(exporter, f"/probe?target={other}"), other) == ovh_lines(before, other)
    assert fresh(after, pid)  # a value dropped is no failed collection

    old, new = ovh_lines(before, pid), ovh_lines(after, pid)
    assert new != old, "the bad value changed nothing: the case does not test what it says"
    unit = with_derived(unit, old)
    same = case.normalize or (lambda line: line)
    assert {same(line) for line in old if not unit(line)} == {same(line) for line in new if not unit(line)}
    assert len(new) >= len(old) - sum(1 for line in old if unit(line))
    if case.kept is not None:
        assert any(case.kept(sent) in line for line in new), "the record went with its bad value"
    assert ovh_lines(scrape(exporter, f"/probe?target={pid}"), pid) == new

    warnings = dropped_warnings(caplog.records)
    assert set(warnings.values()) == {1}, warnings  # one per kind per refresh
    refreshes = exporter.refresher.refreshes
    assert {(refreshes - 1, case.kind), (refreshes, case.kind)} <= set(warnings)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_values_that_slip_past_parsing_cost_their_series_when_served(
    world: World,
    make_exporter: ExporterFactory,
    otlp_grpc_receiver: OtlpGrpcReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Defence in depth: records written straight into a snapshot, as a parser bug would leave them (a
    name no UTF-8 encoder takes, an infinite size). The Prometheus body and the OTLP export still carry
    every other series; the name is escaped, the size dropped with one warning."""
    exporter = make_exporter(
        prometheus={"enabled": True, "port": 0},
        otlp={"enabled": True, "endpoint": otlp_grpc_receiver.endpoint, "interval": 3600},
    )
    exporter.refresher.refresh_once()
    before = exporter.telemetry.render().decode()
    pid, volumes = world.project_ids[0], BY_NAME["volumes"]
    state = exporter.store.current.projects[pid]
    record = state.data.get(volumes)
    assert record is not None
    named, sized, *rest = record
    poisoned = (replace(named, name="\ud800"), replace(sized, size_bytes=math.inf), *rest)

    def poison(projects: dict[str, ProjectState]) -> None:
        projects[pid] = replace(state, data=state.data.with_record(volumes, poisoned))

    with caplog.at_level(logging.WARNING, logger="otel_ovh"):
        exporter.store.update(poison)
        body = exporter.telemetry.render().decode()
    list(text_string_to_metric_families(body))
    assert 'ovh_resource_name="\\\\ud800"' in body
    size_of = f'{VOLUME_SIZE}{{cloud_account_id="{pid}"'
    sizes = [line for line in body.splitlines() if line.startswith(size_of)]
    assert not [line for line in sizes if sized.id in line]
    assert len(sizes) == len([line for line in before.splitlines() if line.startswith(size_of)]) - 1
    others = [line for line in before.splitlines() if line.startswith("ovh_cloud_") and pid not in line]
    assert set(others) <= set(body.splitlines())
    assert [r.getMessage() for r in caplog.records if "not finite" in r.getMessage()] == [
        "ovh.cloud.volume.size: 1 point(s) that are not finite numbers dropped"
    ]

    exporter.telemetry.force_flush()
    exported = otlp_grpc_receiver.latest("ovh.cloud.volume.size")
    names = {dict(key).get("ovh.resource.name") for key in exported}
    assert "\\ud800" in names
    assert all(isinstance(value, int | float) and math.isfinite(value) for value in exported.values())
    served = sum(len(project.data.get(volumes) or ()) for project in exporter.store.current.projects.values())
    assert len(exported) == served - 1


def test_a_project_list_with_bad_entries_keeps_the_good_ones(
    world: World, hostile: HostileOvh, served: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    hostile.add(Rule("/cloud/project", rewrite=lambda body: [*body, "\ud800", 12, None, [["x"]]]))
    exporter = served()
    with caplog.at_level(logging.INFO, logger="otel_ovh"):
        exporter.refresher.refresh_once()
    body = scrape(exporter)
    assert all(fresh(body, pid) for pid in world.project_ids)
    assert set(_ACCOUNT.findall(body)) == set(world.project_ids)
    assert dropped_warnings(caplog.records) == {(1, UNENCODABLE): 1, (1, WRONG_TYPE): 1}
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


_ACCOUNT = re.compile(r'cloud_account_id="([^"]*)"')


def test_an_id_that_reads_as_a_path_costs_its_own_call_only(
    world: World, hostile: HostileOvh, served: ExporterFactory
) -> None:
    """OVH lists ids that later calls put in their routes: one of ``../../..`` must not make a call to
    another route (read-only, but signed with our credentials), only a call that finds nothing."""
    pid = world.project_ids[0]
    exporter = served()
    exporter.refresher.refresh_once()
    before = ovh_lines(scrape(exporter), pid)
    odd = ["../../../../me", "..", "a/../../b?c=d#e"]
    hostile.add(Rule(f"/cloud/project/{pid}/kube", rewrite=lambda body: [*odd, *body]))
    exporter.refresher.refresh_once()
    assert ovh_lines(scrape(exporter), pid) == before
    kube = f"/cloud/project/{pid}/kube"
    # the account-wide families' own routes (the price list, /me, /services) are no project's: not strays
    account = Router(tuple(route for family in FAMILIES if family.account for route in family.routes))
    strays = [
        path
        for path in hostile.calls
        if path != "/auth/time"
        and not path.startswith("/cloud/project")
        and account.match(path.partition("?")[0]) is None
    ]
    assert strays == []
    assert hostile.count(f"{kube}/..%2F..%2F..%2F..%2Fme") == 1 and hostile.count(f"{kube}/%252E%252E") == 1
