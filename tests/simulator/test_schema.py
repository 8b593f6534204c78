"""Every answer of the simulator conforms to OVH's schema (tests/data/ovh-cloud-models.json).

Modern projects must match the 2026 models exactly: every key present, nulls only where allowed, no
unknown key. Projects answering the 2024-era shapes may only leave out keys that are newer than
2024 (LEGACY_MISSING below, from docs/ovh-api.md §6 and OVH's 2024 schema); everything they do send is held
to the same types.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.families import CLOUD_ROUTES
from otel_ovh.simulator.routes import P
from tests.simulator.schema import MODELS_FILE, Schema
from tests.simulator.support import Clock, ovh_client
from tools.extract_schema import reachable, referenced, served_operations

SCHEMA = Schema()

_NEWER_USAGE_KEYS = {"deploymentMode", "resourceId", "resourceIds", "savingsPlanIds", "retrievalFees"}
LEGACY_MISSING: dict[str, set[str]] = {
    **{
        name: _NEWER_USAGE_KEYS & set(model.get("properties", {}))
        for name, model in SCHEMA.models.items()
        if name.startswith("cloud.billingView.")
    },
    "cloud.usage.UsageCurrent": {"totalPrice"},
    "cloud.usage.UsageForecast": {"totalPrice"},
    "cloud.usage.UsageHistoryDetail": {"totalPrice"},
    "cloud.billingView.HourlyResources": {"managedKubernetesService", "rancher", "quantum"},
    "cloud.billingView.MonthlyResources": {"savingsPlan"},
    "cloud.billingView.Component": {"id", "resourceId"},
    "cloud.ProjectWithIAM": {"iam"},
    "cloud.volume.Volume": {"availabilityZone"},
    "cloud.quota.share.Quota": {
        "maxShareBackups",
        "usedShareBackups",
        "maxShareBackupGigabytes",
        "usedShareBackupGigabytes",
    },
    # S24 answered alerting/{id} with cloud.Alerting: one email, no name, per-service alerts or status
    "cloud.alerting.Alerting": {"name", "emails", "service", "status"},
    # S24 list model: ids of flavor/image/key, no nested objects
    "cloud.instance.Instance": {"availabilityZone", "flavor", "image", "sshKey", "rescuePassword"},
}
# S24 detail model (InstanceDetail): nested objects, no ids
LEGACY_INSTANCE_DETAIL = {
    **LEGACY_MISSING,
    "cloud.instance.Instance": {"availabilityZone", "flavorId", "imageId", "sshKeyId"},
}


def requests_of(world: World, project_id: str) -> list[tuple[str, str, dict[str, str] | None]]:
    """(template, path, query) of every GET the simulator serves for one project, every id included."""
    base = f"/cloud/project/{project_id}"
    regions = world.body(f"{base}/region")
    quotas = world.body(f"{base}/quota")
    found: list[tuple[str, str, dict[str, str] | None]] = [
        (P, base, None),
        (f"{P}/region", f"{base}/region", None),
        (f"{P}/quota", f"{base}/quota", None),
        (f"{P}/instance", f"{base}/instance", None),
        (f"{P}/flavor", f"{base}/flavor", None),
        (f"{P}/volume", f"{base}/volume", None),
        (f"{P}/storage", f"{base}/storage", None),
        (f"{P}/storage", f"{base}/storage", {"includeType": "true"}),
        (f"{P}/usage/current", f"{base}/usage/current", None),
        (f"{P}/usage/forecast", f"{base}/usage/forecast", None),
        (f"{P}/usage/plans", f"{base}/usage/plans", None),
        (f"{P}/usage/plans", f"{base}/usage/plans", _last_month(world)),
        (f"{P}/flavor/{{flavorId}}", f"{base}/flavor/{world.body(f'{base}/flavor')[0]['id']}", None),
    ]
    found += [(f"{P}/region/{{regionName}}", f"{base}/region/{r}", None) for r in regions]
    found += [
        (f"{P}/region/{{regionName}}/quota", f"{base}/region/{q['region']}/quota", None) for q in quotas
    ]
    found += [
        (f"{P}/region/{{regionName}}/storage", f"{base}/region/{r}/storage", None)
        for r in regions
        if r not in {q["region"] for q in quotas}
    ]
    found += [
        (f"{P}/region/{{regionName}}/{kind}", f"{base}/region/{q['region']}/{kind}", None)
        for q in quotas
        for kind in ("floatingip", "gateway", "loadbalancing/loadbalancer")
    ]
    found += [
        (f"{P}/instance/{{instanceId}}", f"{base}/instance/{i['id']}", None)
        for i in world.body(f"{base}/instance")
    ]
    found += [
        (f"{P}/volume/{{volumeId}}", f"{base}/volume/{v['id']}", None) for v in world.body(f"{base}/volume")
    ]
    found.append((f"{P}/usage/history", f"{base}/usage/history", None))
    found += [
        (f"{P}/usage/history/{{usageId}}", f"{base}/usage/history/{h['id']}", None)
        for h in world.body(f"{base}/usage/history")[-2:]
    ]
    found.append((f"{P}/credit", f"{base}/credit", None))
    found += [(f"{P}/credit/{{id}}", f"{base}/credit/{c}", None) for c in world.body(f"{base}/credit")]
    found.append((f"{P}/alerting", f"{base}/alerting", None))
    found += [(f"{P}/alerting/{{id}}", f"{base}/alerting/{a}", None) for a in world.body(f"{base}/alerting")]
    return found + _kube_requests(world, base)


def _kube_requests(world: World, base: str) -> list[tuple[str, str, dict[str, str] | None]]:
    kube = f"{P}/kube/{{kubeId}}"
    found: list[tuple[str, str, dict[str, str] | None]] = [(f"{P}/kube", f"{base}/kube", None)]
    for k in world.body(f"{base}/kube"):
        found += [
            (kube, f"{base}/kube/{k}", None),
            (f"{kube}/metrics/etcdUsage", f"{base}/kube/{k}/metrics/etcdUsage", None),
        ]
        found.append((f"{kube}/nodepool", f"{base}/kube/{k}/nodepool", None))
        for pool in world.body(f"{base}/kube/{k}/nodepool"):
            path = f"{base}/kube/{k}/nodepool/{pool['id']}/nodes"
            found += [(f"{kube}/nodepool/{{nodePoolId}}/nodes", path, q) for q in (None, {"history": "true"})]
    return found


def _last_month(world: World) -> dict[str, str]:
    now = datetime.fromtimestamp(world.now(), UTC)
    year, month = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    return {"year": str(year), "month": str(month)}


def allowance(world: World, project_id: str, template: str) -> dict[str, set[str]]:
    if not world.project(project_id).legacy:
        return {}
    return LEGACY_INSTANCE_DETAIL if template.endswith("{instanceId}") else LEGACY_MISSING


def test_every_served_route_is_checked(world: World) -> None:
    checked = {template for template, _, _ in requests_of(world, world.project_ids[0])} | {"/cloud/project"}
    assert checked == set(CLOUD_ROUTES)


@pytest.mark.parametrize(("seed", "autoscaled"), [(42, 0), (7, 0), (42, 3)])
def test_every_answer_of_every_project_matches_the_schema(seed: int, autoscaled: int) -> None:
    """Autoscaled: nodes deleted and created by the autoscaler's passes, an hour apart."""
    clock = Clock()
    world = World(seed=seed, shape=WorldShape(projects=4), clock=clock)
    for _ in range(autoscaled):
        clock.advance(3600)
        world.autoscale()
    problems = SCHEMA.errors(world.body("/cloud/project"), SCHEMA.response_type("GET", "/cloud/project"))
    for project_id in world.project_ids:
        for template, path, query in requests_of(world, project_id):
            body = world.body(path, query)
            errors = SCHEMA.errors(
                body,
                SCHEMA.response_type("GET", template),
                allowance(world, project_id, template),
                where=path,
            )
            problems += errors
    assert problems == []


def test_a_project_with_nothing_in_it_matches_the_schema(world: World) -> None:
    project_id = world.add_project(empty=True)
    for template, path, query in requests_of(world, project_id):
        assert (
            SCHEMA.errors(
                world.body(path, query),
                SCHEMA.response_type("GET", template),
                allowance(world, project_id, template),
                where=path,
            )
            == []
        )


def test_legacy_projects_really_answer_older_shapes(world: World) -> None:
    legacy = [p for p in world.project_ids if world.project(p).legacy]
    assert legacy, "the default world has a 2024-shaped project"
    usage = world.body(f"/cloud/project/{legacy[0]}/usage/current")
    assert "totalPrice" not in usage
    assert "managedKubernetesService" not in usage["hourlyUsage"]
    assert all("deploymentMode" not in line for line in usage["hourlyUsage"]["instance"])
    instance = world.body(f"/cloud/project/{legacy[0]}/instance")[0]
    assert "flavorId" in instance and "availabilityZone" not in instance and "flavor" not in instance
    detail = world.body(f"/cloud/project/{legacy[0]}/instance/{instance['id']}")
    assert "flavorId" not in detail and detail["flavor"]["id"] == instance["flavorId"]
    # and the strict check does catch them: without the allowance they fail
    assert SCHEMA.errors(usage, "cloud.usage.UsageCurrent") != []


def test_auth_answers_match_the_schema(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch)
    assert SCHEMA.errors(client.get("/auth/time"), SCHEMA.response_type("GET", "/auth/time")) == []
    for path in ("/auth/currentCredential", "/auth/details"):
        assert SCHEMA.errors(client.get(path), SCHEMA.response_type("GET", path), where=path) == []
    request = client.request_consumerkey([{"method": "GET", "path": "/cloud/project/*"}])
    assert SCHEMA.errors(request, SCHEMA.response_type("POST", "/auth/credential")) == []
    oauth = ovh_client(sim, monkeypatch, oauth2=True)
    assert SCHEMA.errors(oauth.get("/auth/details"), "auth.Details") == []


def test_the_server_sends_exactly_the_world_bodies(
    sim: SimulatedOvh, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ovh_client(sim, monkeypatch)
    for project_id in world.project_ids:
        for _, path, query in requests_of(world, project_id):
            assert client.get(path, **(query or {})) == world.body(path, query), path


# --- the validator itself must be able to fail ----------------------------------------------------
@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda q: q.update(extra=1), "unknown key 'extra'"),
        (lambda q: q.pop("region"), "missing key 'region'"),
        (lambda q: q.update(region=None), "cannot be null"),
        (lambda q: q["instance"].update(maxCores=1.5), "is not a long"),
        (lambda q: q["instance"].update(maxCores=True), "is not a long"),
        (lambda q: q.update(keypair=[]), "expected object"),
    ],
)
def test_the_validator_rejects_departures(world: World, mutate: Any, expected: str) -> None:
    quota = world.body(f"/cloud/project/{world.project_ids[0]}/quota")[0]
    assert quota["instance"] is not None
    mutate(quota)
    assert any(expected in e for e in SCHEMA.errors(quota, "cloud.quota.Quotas"))


def test_the_validator_checks_enums_dates_and_arrays(world: World) -> None:
    volume = world.body(f"/cloud/project/{world.project_ids[0]}/volume")[0]
    assert SCHEMA.errors({**volume, "status": "melted"}, "cloud.volume.Volume")
    assert SCHEMA.errors({**volume, "creationDate": "2025-10-01"}, "cloud.volume.Volume")
    assert SCHEMA.errors({**volume, "creationDate": "2025-10-01T00:00:00"}, "cloud.volume.Volume")
    assert SCHEMA.errors({**volume, "attachedTo": [1]}, "cloud.volume.Volume")
    assert SCHEMA.errors(volume, "cloud.volume.Volume") == []


def test_the_vendored_models_are_the_served_routes_and_the_models_they_reach() -> None:
    """The trimmed copy of OVH's schema (tests/data/README.md) holds what the simulator serves, no less
    (a route added without regenerating it) and no more (models nothing reaches)."""
    vendored = json.loads(MODELS_FILE.read_text())
    assert set(vendored["operations"]) == {f"{method} {path}" for method, path in served_operations()}
    models = vendored["models"]
    assert reachable(vendored["operations"], models) == set(models)
    types = [*vendored["operations"].values()]
    types += [prop["type"] for model in models.values() for prop in model.get("properties", {}).values()]
    # OVH's model names are dotted (cloud.kube.Node), its primitive types are not (long, datetime)
    assert {name for t in types for name in referenced(t) if "." in name} <= set(models)
