"""Faults on demand, as python-ovh sees them; the call log; the HTTP control endpoint; latency."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from ovh import exceptions as ovh_errors

from otel_ovh.simulator import Fault, SimulatedOvh, World
from otel_ovh.simulator.server import Request
from tests.simulator.support import ovh_client

QUOTA = "/cloud/project/{serviceName}/quota"


@pytest.fixture
def client(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> Any:
    return ovh_client(sim, monkeypatch)


def quota_path(world: World, index: int = 0) -> str:
    return f"/cloud/project/{world.project_ids[index]}/quota"


@pytest.mark.parametrize(
    ("fault", "exception", "status"),
    [
        (Fault(status=403, error_code="NOT_GRANTED_CALL"), ovh_errors.NotGrantedCall, 403),
        (Fault(status=403, error_code="INVALID_CREDENTIAL"), ovh_errors.InvalidCredential, 403),
        (Fault(status=404), ovh_errors.ResourceNotFoundError, 404),
        (Fault(status=500), ovh_errors.APIError, 500),
        (Fault(status=503), ovh_errors.APIError, 503),
        (Fault(kind="html"), ovh_errors.InvalidResponse, 502),
        (Fault(kind="invalid_json"), ovh_errors.InvalidResponse, 200),
    ],
)
def test_each_fault_reaches_python_ovh_as_the_real_api_would(
    sim: SimulatedOvh, client: Any, world: World, fault: Fault, exception: type[Exception], status: int
) -> None:
    sim.faults.add(fault)
    with pytest.raises(exception):
        client.get(quota_path(world))
    assert sim.calls[-1].status == status
    assert sim.calls[-1].route == QUOTA


def test_iam_denial_has_no_error_code(sim: SimulatedOvh, client: Any, world: World) -> None:
    sim.faults.add(Fault(status=403))
    with pytest.raises(ovh_errors.APIError) as caught:
        client.get(quota_path(world))
    assert type(caught.value) is ovh_errors.APIError  # not Forbidden nor NotGrantedCall
    body = caught.value.response.json()
    assert body["class"] == "Client::Forbidden" and "errorCode" not in body
    assert body["details"]["unauthorizedActionsByIAM"] == "publicCloudProject:apiovh:get"


def test_rate_limit_with_retry_after(sim: SimulatedOvh, client: Any, world: World) -> None:
    sim.faults.add(Fault(status=429, retry_after=7))
    with pytest.raises(ovh_errors.APIError) as caught:
        client.get(quota_path(world))
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert caught.value.response.json() == {
        "class": "Client::TooManyRequests",
        "message": "Too many requests",
    }


def test_html_fault_is_an_html_page(sim: SimulatedOvh, client: Any, world: World) -> None:
    sim.faults.add(Fault(kind="html", status=504))
    response = client.raw_call("GET", quota_path(world))
    assert response.status_code == 504
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>504 Gateway Timeout</h1>" in response.text


def test_faults_come_after_authentication(sim: SimulatedOvh) -> None:
    sim.faults.add(Fault(kind="html"))
    response = requests.get(
        f"{sim.url}/cloud/project",
        timeout=5,
        headers={"X-Ovh-Application": sim.credentials["application_key"]},
    )
    assert response.status_code == 401
    assert len(sim.faults) == 1


def test_slow_answers_then_answers_normally(sim: SimulatedOvh, client: Any, world: World) -> None:
    sim.faults.add(Fault(kind="slow", delay=0.3, times=1))
    started = time.monotonic()
    assert client.get(quota_path(world)) == world.body(quota_path(world))
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    client.get(quota_path(world))
    assert time.monotonic() - started < 0.3
    sim.faults.add(Fault(status=503, delay=0.2, times=1))  # a slow failure
    started = time.monotonic()
    with pytest.raises(ovh_errors.APIError):
        client.get(quota_path(world))
    assert time.monotonic() - started >= 0.2


def test_times_counts_the_answers_affected(sim: SimulatedOvh, client: Any, world: World) -> None:
    sim.faults.add(Fault(status=500, times=2))
    for _ in range(2):
        with pytest.raises(ovh_errors.APIError):
            client.get(quota_path(world))
    assert client.get(quota_path(world))
    assert len(sim.faults) == 0


def test_a_fault_without_times_lasts_until_cleared(sim: SimulatedOvh, client: Any, world: World) -> None:
    sim.faults.add(Fault(status=503))
    for _ in range(3):
        with pytest.raises(ovh_errors.APIError):
            client.get(quota_path(world))
    sim.faults.clear()
    assert client.get(quota_path(world))


def test_faults_match_project_and_path(sim: SimulatedOvh, client: Any, world: World) -> None:
    first, second = world.project_ids[:2]
    sim.faults.add(Fault(project=first, path="usage/*", status=500))
    for kind in ("current", "forecast"):
        with pytest.raises(ovh_errors.APIError):
            client.get(f"/cloud/project/{first}/usage/{kind}")
        assert client.get(f"/cloud/project/{second}/usage/{kind}")
    assert client.get(f"/cloud/project/{first}/quota")
    assert client.get(f"/cloud/project/{first}")
    sim.faults.clear()
    sim.faults.add(Fault(path="", status=404))  # the project's own path, and the project list
    with pytest.raises(ovh_errors.ResourceNotFoundError):
        client.get(f"/cloud/project/{second}")
    with pytest.raises(ovh_errors.ResourceNotFoundError):
        client.get("/cloud/project")
    assert client.get(f"/cloud/project/{second}/quota")


def test_unknown_project_is_not_found(sim: SimulatedOvh, client: Any) -> None:
    with pytest.raises(ovh_errors.ResourceNotFoundError, match="This service does not exist") as caught:
        client.get("/cloud/project/0123456789abcdef0123456789abcdef/usage/current")
    assert caught.value.response.json() == {
        "class": "Client::NotFound",
        "message": "This service does not exist",
    }


def test_region_without_s3_is_an_error(client: Any, world: World) -> None:
    with pytest.raises(ovh_errors.BadParametersError):
        client.get(f"/cloud/project/{world.project_ids[0]}/region/GRA11/storage")


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        Fault(kind="explode")
    with pytest.raises(ValueError, match="times"):
        Fault(times=0)
    with pytest.raises(ValueError, match="delay"):
        Fault(kind="slow")


def test_control_endpoint_answers_loopback_clients_only(sim: SimulatedOvh) -> None:
    for client, status in (("10.1.2.3", 403), ("not-an-address", 403), ("::1", 200), ("127.0.0.1", 200)):
        answer = sim.handle(Request("GET", "/_sim/faults", {}, b"", client))
        assert answer.status == status, client


def test_call_counting(sim: SimulatedOvh, client: Any, world: World) -> None:
    first, second = world.project_ids[:2]
    client.get(f"/cloud/project/{first}/usage/current")
    client.get(f"/cloud/project/{second}/usage/current")
    sim.faults.add(Fault(status=500, times=1))
    with pytest.raises(ovh_errors.APIError):
        client.get(f"/cloud/project/{first}/usage/current")
    usage = "/cloud/project/{serviceName}/usage/current"
    assert sim.call_count(route=usage) == 3
    assert sim.call_count(route=usage, project=first) == 2
    assert sim.call_count(route=usage, status=500) == 1
    assert sim.call_count(route="/auth/time") == 1
    assert sim.call_count() == 4
    sim.reset_calls()
    assert sim.call_count() == 0 and sim.calls == []


def test_control_endpoint(sim: SimulatedOvh, client: Any, world: World) -> None:
    control = f"{sim.root_url}/_sim"
    answer = requests.post(
        f"{control}/faults", json=[{"path": "quota", "status": 503, "times": 1}], timeout=5
    )
    assert answer.json() == {"added": 1, "active": 1}
    assert requests.get(f"{control}/faults", timeout=5).json()[0]["status"] == 503
    with pytest.raises(ovh_errors.APIError):
        client.get(quota_path(world))
    assert requests.post(f"{control}/faults", json={"kind": "boom"}, timeout=5).status_code == 400
    assert requests.post(f"{control}/faults", json={"colour": "red"}, timeout=5).status_code == 400
    requests.post(f"{control}/faults", json={"status": 500}, timeout=5)
    assert requests.delete(f"{control}/faults", timeout=5).json() == {"active": 0}
    calls = requests.get(f"{control}/calls", timeout=5).json()
    assert [c["status"] for c in calls if c["route"] == QUOTA] == [503]
    assert sim.call_count(route="/_sim/calls") == 0  # control calls are not API calls


def test_latency_delays_every_api_answer(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with SimulatedOvh(world, latency=0.2) as slow:
        client = ovh_client(slow, monkeypatch)
        started = time.monotonic()
        client.get("/cloud/project")  # plus /auth/time: two answers
        assert time.monotonic() - started >= 0.4


def test_stop_really_stops(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = SimulatedOvh(world).start()
    client = ovh_client(sim, monkeypatch)
    client.get("/cloud/project")  # leaves a kept-alive connection behind
    sim.stop()
    with pytest.raises(ovh_errors.HTTPError):
        client.get("/cloud/project")


def test_control_endpoint_drives_the_autoscaler(sim: SimulatedOvh, world: World) -> None:
    pid = world.project_ids[0]
    before = world.body(f"/cloud/project/{pid}/instance")
    changed = [requests.post(f"{sim.root_url}/_sim/autoscale", timeout=5).json()["changed"] for _ in range(4)]
    assert sum(changed) > 0 and world.body(f"/cloud/project/{pid}/instance") != before
