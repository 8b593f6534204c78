"""A fetch worker gives its turn up (``otel_ovh.ovh_api.turns``) at every wait of a real call through the
real ``ovh`` client: OVH slow to answer, an answer trickling in, the call rate's pacing. Were one of them
unmarked, a second worker would get no turn within the patience and would run without one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from otel_ovh.app import credentials
from otel_ovh.config import parse_settings
from otel_ovh.ovh_api.client import ApiError, OvhApi
from otel_ovh.ovh_api.turns import TURNS
from tests.integration.conftest import settings_for
from tests.support.hostile_ovh import HostileOvh, Rule

QUOTA = "/cloud/project/{serviceName}/quota"


def _api(hostile: HostileOvh, calls_per_second: float = 0, timeout: float = 5.0) -> tuple[OvhApi, str]:
    settings = parse_settings(settings_for(hostile))  # type: ignore[arg-type]
    api = OvhApi(credentials(settings.ovh), calls_per_second=calls_per_second, retries=0, timeout=timeout)
    projects: list[str] = api.get("/cloud/project")
    return api, projects[0]


def _turn_while(waiting: Callable[[], None]) -> bool:
    """Whether a second worker gets the turn while a first one, in its turn, runs ``waiting``."""
    begun, outcome = threading.Event(), []

    def first() -> None:
        with TURNS.turn():
            begun.set()
            try:
                waiting()
            except ApiError as error:
                outcome.append(error)

    worker = threading.Thread(target=first)
    worker.start()
    begun.wait(5)
    time.sleep(0.3)  # the first worker is waiting by now
    with TURNS.turn():
        held = TURNS.holding
    worker.join(15)
    return held


def test_waiting_for_a_slow_answer_gives_the_turn_up(hostile: HostileOvh) -> None:
    api, pid = _api(hostile)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", delay=1.5, times=1))
    assert _turn_while(lambda: api.get(QUOTA, {"serviceName": pid}))
    assert api.stats.failures() == {}


def test_waiting_for_a_trickling_answer_gives_the_turn_up(hostile: HostileOvh) -> None:
    api, pid = _api(hostile, timeout=1.5)
    hostile.add(Rule(f"/cloud/project/{pid}/quota", trickle=0.05))
    assert _turn_while(lambda: api.get(QUOTA, {"serviceName": pid}))  # it ends at its deadline


def test_waiting_for_the_call_rate_gives_the_turn_up(hostile: HostileOvh) -> None:
    api, pid = _api(hostile, calls_per_second=1)
    assert _turn_while(lambda: [api.get(QUOTA, {"serviceName": pid}) for _ in range(2)])


def test_without_a_wait_the_turn_is_kept(hostile: HostileOvh) -> None:
    # The control: a first worker busy (here: sleeping where turns cannot see it) keeps the turn, and the
    # second one runs only once the patience is out.
    assert not _turn_while(lambda: time.sleep(1.0))
