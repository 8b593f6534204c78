"""Hostile OVH answers, call by call, through the real ``ovh`` client and the hostile stand-in: each call
ends by its deadline however the bytes arrive, an answer is capped in size (decompressed), and an answer
Python cannot decode is that call's error, with a reason."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.errors import DEADLINE, REDIRECT, TIMEOUT, TOO_LARGE, UNDECODABLE
from otel_ovh.serve.app import credentials
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.integration.conftest import ExporterFactory, settings_for
from tests.support.hostile_ovh import HostileOvh, Rule

QUOTA = "/cloud/project/{serviceName}/quota"


@pytest.fixture(scope="module")
def upstream() -> Iterator[SimulatedOvh]:
    now = time.time()
    sim = SimulatedOvh(World(seed=5, shape=WorldShape(projects=2), clock=lambda: now)).start()
    yield sim
    sim.stop()


@pytest.fixture
def hostile(upstream: SimulatedOvh) -> Iterator[HostileOvh]:
    with HostileOvh(upstream) as proxy:
        yield proxy


def _api(hostile: HostileOvh, oauth2: dict[str, str] | None = None, **options: Any) -> OvhApi:
    raw = settings_for(hostile)  # type: ignore[arg-type]
    if oauth2:
        raw["ovh"] = {"endpoint": hostile.url, **oauth2}
    settings = parse_settings(raw)
    return OvhApi(credentials(settings.ovh), calls_per_second=0, **{"retries": 0, **options})


def _pid(api: OvhApi) -> str:
    projects: list[str] = api.get("/cloud/project")
    return projects[0]


def _failure(api: OvhApi, pid: str, route: str = QUOTA) -> tuple[ApiError, float]:
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        api.get(route, {"serviceName": pid})
    return caught.value, time.monotonic() - started


def test_a_trickle_that_a_read_timeout_lets_through_ends_at_the_calls_deadline(hostile: HostileOvh) -> None:
    # The control: requests' own timeout bounds each read, so a trickle slower than the answer but faster
    # than the timeout goes through, however long it takes.
    hostile.add(Rule("/auth/time", trickle=0.15, times=1))
    started = time.monotonic()
    assert int(requests.get(f"{hostile.url}/auth/time", timeout=(1, 1)).content) > 0
    assert time.monotonic() - started > 1.2

    api = _api(hostile, timeout=1.0)
    pid = _pid(api)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", trickle=0.05))
    error, took = _failure(api, pid)
    assert error.reason == TIMEOUT and "no complete answer within 1.0s" in error.message
    assert 0.9 < took < 2.0
    assert api.stats.failures() == {(QUOTA, TIMEOUT): 1}
    hostile.clear()
    assert api.get(QUOTA, {"serviceName": pid})  # the next call on the same client is whole


def test_each_retry_has_its_own_deadline_and_the_works_deadline_bounds_them_all(
    hostile: HostileOvh,
) -> None:
    sleeps: list[float] = []
    api = _api(hostile, timeout=0.5, retries=3, sleep=sleeps.append)
    pid = _pid(api)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", trickle=0.05))
    error, took = _failure(api, pid)
    assert error.reason == TIMEOUT and len(sleeps) == 3
    assert hostile.count(f"/cloud/project/{pid}/quota") == 4 and 1.9 < took < 3.5

    before = hostile.count(f"/cloud/project/{pid}/quota")
    with api.until(time.monotonic() + 0.3):  # within the first attempt
        error, took = _failure(api, pid)
    assert error.reason == DEADLINE and "deadline" in error.message and took < 0.6
    with api.until(time.monotonic() + 1.2):  # within the retries
        error, took = _failure(api, pid)
    assert error.reason in (TIMEOUT, DEADLINE) and took < 1.6
    assert hostile.count(f"/cloud/project/{pid}/quota") - before <= 4
    with api.until(time.monotonic() - 1):
        error, took = _failure(api, pid)
    assert error.reason == DEADLINE and took < 0.1  # nothing starts past the deadline


@pytest.mark.parametrize("token", [False, True], ids=["api call", "token fetch"])
def test_oauth2_sessions_are_bounded_too(hostile: HostileOvh, upstream: SimulatedOvh, token: bool) -> None:
    api = _api(hostile, oauth2=upstream.oauth2_credentials, timeout=1.0)
    pid = "0" * 32
    if token:
        hostile.add(Rule("/auth/oauth2/token", trickle=0.05))
    else:
        pid = _pid(api)
        hostile.add(Rule(f"/cloud/project/{pid}/quota", trickle=0.05))
    error, took = _failure(api, pid)
    assert error.reason == TIMEOUT and took < 2.0
    assert hostile.count("/auth/oauth2/token") == 1


def test_an_answer_over_the_cap_fails_that_call_only(hostile: HostileOvh) -> None:
    api = _api(hostile, max_answer_bytes=1 << 20)
    pid = _pid(api)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", huge=500_000_000))
    error, took = _failure(api, pid)
    assert error.reason == TOO_LARGE and "499999" in error.message and "cap of 1048576 bytes" in error.message
    assert took < 1.0  # refused on its announced length, not read
    assert api.get(f"/cloud/project/{pid}")["project_id"] == pid


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap(hostile: HostileOvh) -> None:
    api = _api(hostile, max_answer_bytes=4 << 20)
    pid = _pid(api)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", gzip_bomb=200_000_000))
    error, _ = _failure(api, pid)
    assert error.reason == TOO_LARGE and "decompressed" in error.message
    assert hostile.count(f"/cloud/project/{pid}/quota") == 1  # the same answer again would not help
    hostile.clear()
    hostile.add(Rule(f"/cloud/project/{pid}/quota", gzip_bomb=1_000_000))  # inflates within the cap
    assert len(api.get(QUOTA, {"serviceName": pid})) > 400_000


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper than Python can decode"),
        (b'{"limit": ' + b"7" * 5000 + b"}", "integer too long to decode"),
    ],
    ids=["deep nesting", "5000-digit integer"],
)
def test_json_python_cannot_decode_is_that_calls_error(hostile: HostileOvh, body: bytes, said: str) -> None:
    api = _api(hostile)
    pid = _pid(api)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", body=body))
    error, _ = _failure(api, pid)
    assert error.reason == UNDECODABLE and said in error.message and not error.is_credential_failure
    assert api.get(f"/cloud/project/{pid}")["project_id"] == pid


@pytest.fixture
def elsewhere() -> Iterator[list[bytes]]:
    """Another loopback port, where a redirect points: what each connection to it sent, if any came."""
    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def accept() -> None:
        while listener.fileno() != -1:
            try:
                client, _ = listener.accept()
            except OSError:
                continue
            with client:
                client.settimeout(1)
                try:
                    received.append(client.recv(65536))
                except OSError:
                    received.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    received.append(str(listener.getsockname()[1]).encode())  # the port, taken off by the test
    yield received
    listener.close()
    thread.join(5)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_is_its_own_failure(
    hostile: HostileOvh, elsewhere: list[bytes], status: int
) -> None:
    port = int(elsewhere.pop(0))
    api = _api(hostile, retries=2, sleep=lambda _: None)
    pid = _pid(api)
    location = f"http://127.0.0.1:{port}/1.0/cloud/project/{pid}/quota"
    hostile.add(Rule(f"/cloud/project/{pid}/quota", status=status, body=b"", headers={"Location": location}))
    error, _ = _failure(api, pid)
    time.sleep(0.5)  # a connection made would have been accepted by now
    assert elsewhere == []  # no connection, so no X-Ovh-Consumer, no signature
    assert error.reason == REDIRECT and f"HTTP {status}" in error.message, error
    assert api.stats.failures() == {(QUOTA, REDIRECT): 1}
    assert hostile.count(f"/cloud/project/{pid}/quota") == 1  # the same redirect again would not help


def test_a_redirect_outage_is_one_log_line_and_counted_as_such(
    upstream: SimulatedOvh,
    hostile: HostileOvh,
    elsewhere: list[bytes],
    served: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = int(elsewhere.pop(0))
    pid = upstream.world.project_ids[0]
    location = f"http://127.0.0.1:{port}/1.0/cloud/project/{pid}/quota"
    hostile.add(Rule(f"/cloud/project/{pid}/quota", status=302, body=b"", headers={"Location": location}))
    exporter = served(families=["quota"])
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            exporter.refresher.refresh_once()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and pid in r.getMessage()]
    assert len(said) == 1 and "redirect" in said[0], said
    assert elsewhere == []
    body = exporter.telemetry.render().decode()
    failures = [line for line in body.splitlines() if line.startswith("otel_ovh_api_failures_total{")]
    assert any('error_type="redirect"' in line and line.endswith(" 3.0") for line in failures), failures
