"""The hostile OVH stand-in itself: it passes signed calls through and turns only the chosen answers."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.simulator.support import ovh_client
from tests.support.hostile_ovh import HostileOvh, Rule, bomb


@pytest.fixture
def hostile() -> Iterator[HostileOvh]:
    now = time.time()
    sim = SimulatedOvh(World(seed=3, shape=WorldShape(projects=2), clock=lambda: now)).start()
    with HostileOvh(sim) as proxy:
        yield proxy
    sim.stop()


def test_signed_calls_pass_through_unchanged(hostile: HostileOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(hostile, monkeypatch)
    projects = client.get("/cloud/project")
    assert len(projects) == 2
    assert client.get(f"/cloud/project/{projects[0]}")["project_id"] == projects[0]
    assert hostile.count("/cloud/project*") == 2


def test_a_rule_rewrites_only_its_path_and_only_its_times(
    hostile: HostileOvh, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ovh_client(hostile, monkeypatch)
    pid = client.get("/cloud/project")[0]

    def rename(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "description": "\ud800"}

    hostile.add(Rule(f"/cloud/project/{pid}", rewrite=rename, times=1))
    assert client.get(f"/cloud/project/{pid}")["description"] == "\ud800"
    assert client.get(f"/cloud/project/{pid}")["description"] != "\ud800"


def test_trickle_delays_the_body_not_the_headers(hostile: HostileOvh) -> None:
    hostile.add(Rule("/auth/time", trickle=0.2))
    start = time.monotonic()
    answer = requests.get(f"{hostile.url}/auth/time", stream=True, timeout=5)
    headers_after = time.monotonic() - start
    body = answer.content
    assert headers_after < 0.5 and time.monotonic() - start >= 0.2 * (len(body) - 1)
    assert int(body) > 0


def test_huge_and_bomb_answers_are_valid_json_of_the_asked_size(hostile: HostileOvh) -> None:
    hostile.add(Rule("/auth/time", huge=3_000_000, times=1))
    answer = requests.get(f"{hostile.url}/auth/time", timeout=10)
    assert len(answer.content) >= 2_900_000 and isinstance(answer.json(), list)
    small = bomb(50_000_000)
    assert len(small) < 200_000
    assert len(zlib.decompress(small, 31)) >= 49_000_000
