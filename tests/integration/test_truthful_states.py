"""What the served process says of itself: ``/healthz`` while a loop of ours is dead, ``/readyz`` until
the data of a project is served, and self metrics of the same snapshot as the OVH series in every body.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from otel_ovh.export.exposition import gzipped_exposition
from otel_ovh.serve import supervisor as supervision
from otel_ovh.serve.app import Exporter
from otel_ovh.simulator import World
from tests.integration.conftest import ExporterFactory
from tests.support.hostile_ovh import HostileOvh, Rule
from tests.support.otlp_receiver import OtlpGrpcReceiver

_ACCOUNT = re.compile(r'cloud_account_id="([0-9a-f]{32})"')


def get(exporter: Exporter, path: str) -> tuple[int, str]:
    assert exporter.server is not None
    answer = requests.get(f"{exporter.server.url}{path}", timeout=10)
    return answer.status_code, answer.text


def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def answer_with(exporter: Exporter, path: str, status: int, timeout: float = 15.0) -> str:
    """The body of the first answer to ``path`` with ``status``."""
    deadline = time.monotonic() + timeout
    while (answer := get(exporter, path))[0] != status:
        assert time.monotonic() < deadline, f"no {status} on {path}: {answer}"
        time.sleep(0.02)
    return answer[1]


# -- /healthz ----------------------------------------------------------------------------------------


@pytest.mark.serial  # the 503 lasts one backoff (1 s): a loaded machine can let it pass unseen
def test_a_supervised_loop_that_dies_is_unhealthy_until_restarted(
    served: ExporterFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of our loops (the refresher's, the self metrics') made to raise once: ``/healthz`` is 503 with
    the reason, then 200 once the supervisor has restarted it; the refresher goes on refreshing."""
    monkeypatch.setattr(supervision, "FIRST_BACKOFF", 1.0)
    exporter = served(interval=1)
    telemetry, refresher = exporter.telemetry, exporter.refresher
    for name, owner, method in (
        ("self-metrics", telemetry, "refresh_self"),
        ("refresher", refresher, "expire_stale"),
    ):
        real = getattr(owner, method)
        failures = iter([RuntimeError(f"{method} broke")])

        def once(
            *args: Any, real: Callable[..., Any] = real, failures: Iterator[Exception] = failures
        ) -> Any:
            error = next(failures, None)
            if error is not None:
                raise error
            return real(*args)

        monkeypatch.setattr(owner, method, once)
        if name == "self-metrics":
            exporter.start()
        body = answer_with(exporter, "/healthz", 503)
        assert body.startswith(f"{name} thread died (RuntimeError: {method} broke); restarting in ")
        assert body.count("\n") == 1
        until(lambda: get(exporter, "/healthz") == (200, "ok\n"))
    refreshes = refresher.refreshes
    until(lambda: refresher.refreshes > refreshes)  # the restarted refresher refreshes


# -- /readyz -----------------------------------------------------------------------------------------


def test_readyz_is_ready_only_once_a_project_is_served_and_says_why_not(
    served: ExporterFactory, hostile: HostileOvh, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = served()
    assert get(exporter, "/readyz") == (503, "not ready: the first refresh has not finished\n")

    failing = hostile.add(Rule("/cloud/project/*", status=500))
    exporter.refresher.refresh_once()  # a refresh ran, and every project failed: nothing is served
    status, body = get(exporter, "/readyz")
    assert status == 503
    assert body.startswith(f"not ready: every project failed its last refresh ({len(world.project_ids)}; ")
    assert "HTTP 500" in body and not _ACCOUNT.search(body) and body.count("\n") == 1

    hostile.clear()
    hostile.add(Rule(f"/cloud/project/{world.project_ids[0]}/*", status=500))
    exporter.refresher.refresh_once()  # the others answer: their data is served
    assert get(exporter, "/readyz") == (200, "ok\n")
    assert failing.hits > 0

    # Rendering fails for good (not one series: the whole registry): scrapes keep the last exposition,
    # which no longer follows the snapshots; /readyz says the data served is stale.
    registry = exporter.telemetry._inventory.readers.registry
    assert registry is not None

    def broken() -> Any:
        raise RuntimeError("render broke")

    monkeypatch.setattr(registry, "collect", broken)
    exporter.refresher.refresh_once()
    status, body = get(exporter, "/readyz")
    assert status == 503
    assert (
        body
        == "not ready: the data served is stale: rendering newer data failed (RuntimeError: render broke)\n"
    )
    assert get(exporter, "/metrics")[0] == 200  # the last good exposition is still served
    monkeypatch.undo()
    exporter.refresher.refresh_once()
    assert get(exporter, "/readyz") == (200, "ok\n")


def test_readyz_says_when_there_is_no_project_to_collect(
    served: ExporterFactory, hostile: HostileOvh
) -> None:
    exporter = served()
    hostile.add(Rule("/cloud/project", status=500))
    exporter.refresher.refresh_once()
    status, body = get(exporter, "/readyz")
    assert status == 503
    assert body.startswith("not ready: no project to collect: cannot list projects (")
    assert "HTTP 500" in body


# -- the same snapshot ---------------------------------------------------------------------------------


def test_every_body_carries_the_self_metrics_of_its_own_snapshot(
    served: ExporterFactory, hostile: HostileOvh, world: World
) -> None:
    """Projects come and go between refreshes (the project list alternates), while scrapes hammer
    ``/metrics``: no body shows a project's OVH series without its ``otel_ovh_collection_success``, nor
    the success of a project whose series it does not show."""
    first, second, third = world.project_ids
    lists = iter([[first, second], [first, third]] * 50)
    hostile.add(Rule("/cloud/project", rewrite=lambda body: next(lists)))
    exporter = served()
    exporter.supervisor.start("self-metrics", lambda: exporter.telemetry.keep_self_rendered(0.005))
    exporter.refresher.refresh_once()
    stop = threading.Event()
    mismatches: list[tuple[set[str], set[str]]] = []
    scrapes = [0]

    def hammer() -> None:
        session = requests.Session()
        assert exporter.server is not None
        while not stop.is_set():
            text = session.get(f"{exporter.server.url}/metrics", timeout=10).text
            scrapes[0] += 1
            ovh, success = set(), set()
            for line in text.splitlines():
                if line.startswith("ovh_cloud_"):
                    ovh.update(_ACCOUNT.findall(line))
                elif line.startswith("otel_ovh_collection_success"):
                    success.update(_ACCOUNT.findall(line))
            if ovh != success:
                mismatches.append((ovh, success))

    scrapers = [threading.Thread(target=hammer) for _ in range(3)]
    for scraper in scrapers:
        scraper.start()
    try:
        for _ in range(12):
            exporter.refresher.refresh_once()
    finally:
        stop.set()
        for scraper in scrapers:
            scraper.join(30)
    assert scrapes[0] > 50
    assert mismatches == []
    assert exporter.store.current.version >= 12  # the snapshots did swap under the scrapes


def test_a_dead_otlp_export_thread_is_unhealthy(
    make_exporter: ExporterFactory, otlp_grpc_receiver: OtlpGrpcReceiver
) -> None:
    """The SDK's periodic readers are not ours to restart, but a dead one means no export: say so."""
    exporter = make_exporter(
        otlp={"enabled": True, "endpoint": otlp_grpc_receiver.endpoint, "interval": 3600}
    )
    exporter.supervisor.watch("OTLP export", exporter.telemetry.reader_trouble)
    assert exporter.supervisor.health() is None
    [reader] = exporter.telemetry._self.readers.others
    finished = threading.Thread(target=lambda: None)
    finished.start()
    finished.join()
    alive, reader._daemon_thread = reader._daemon_thread, finished  # type: ignore[attr-defined]
    try:
        assert exporter.supervisor.health() == "OTLP export: the OTLP export thread of the self metrics died"
    finally:
        reader._daemon_thread = alive  # type: ignore[attr-defined]


def test_otlp_exports_carry_the_snapshot_served_while_a_new_one_renders(
    world: World,
    make_exporter: ExporterFactory,
    otlp_grpc_receiver: OtlpGrpcReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An OTLP collection that lands while the Prometheus exposition of a new snapshot renders carries
    the snapshot still served, in both pipelines' exports; the new one, in both, once it is served."""
    otlp = {"enabled": True, "endpoint": otlp_grpc_receiver.endpoint, "interval": 3600}
    exporter = make_exporter(prometheus={"enabled": True, "port": 0}, otlp=otlp)
    exporter.refresher.refresh_once()
    gone = world.project_ids[0]
    rendering, release = threading.Event(), threading.Event()

    def slow(registry: Any, outages: Any, what: str) -> bytes:
        rendering.set()
        release.wait(30)
        return gzipped_exposition(registry, outages, what)

    monkeypatch.setattr("otel_ovh.export.telemetry.gzipped_exposition", slow)  # the render of OVH's series

    def drop(projects: dict[str, Any]) -> None:
        del projects[gone]

    publisher = threading.Thread(target=lambda: exporter.store.update(drop))
    publisher.start()
    try:
        assert rendering.wait(30)
        assert exported_projects(exporter, otlp_grpc_receiver) == (set(world.project_ids),) * 2
    finally:
        release.set()
        publisher.join(30)
    assert exported_projects(exporter, otlp_grpc_receiver) == (set(world.project_ids) - {gone},) * 2


def exported_projects(exporter: Exporter, receiver: OtlpGrpcReceiver) -> tuple[set[str], set[str]]:
    """The projects of one OTLP flush: in OVH's series, and in ``otel_ovh.collection.success``."""
    receiver.clear()
    exporter.telemetry.force_flush()
    cost = receiver.latest("ovh.cloud.cost")
    success = receiver.latest("otel_ovh.collection.success")
    return (
        {str(dict(key)["cloud.account.id"]) for key in cost},
        {str(dict(key)["cloud.account.id"]) for key in success},
    )


def test_the_http_servers_loop_is_started_again_when_it_dies(
    served: ExporterFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A loop that stops accepting must not be a thread that merely looks alive: it ends, is logged once
    (by the supervisor) and runs again on the same listener."""
    from otel_ovh.serve import server as http_server
    from otel_ovh.serve import supervisor

    monkeypatch.setattr(supervisor, "FIRST_BACKOFF", 0.2)
    real = http_server._Server._accept
    failures = iter([RuntimeError("accept broke")])

    async def accept_once(self: Any, loop: Any) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        await real(self, loop)

    monkeypatch.setattr(http_server._Server, "_accept", accept_once)
    exporter = served(interval=1)
    until(lambda: get(exporter, "/healthz") == (200, "ok\n"))
    died = [record for record in caplog.records if "HTTP server thread died" in record.message]
    assert len(died) == 1 and died[0].exc_info is not None
    assert "accept broke" in str(died[0].exc_info[1])
    assert exporter.supervisor.health() is None
