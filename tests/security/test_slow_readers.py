"""Clients that ask for the whole plain exposition and never read it, against a real ``otel-ovh serve``.

Each answer is the copy every connection shares, written piece by piece; the server holds no copy per
connection, caps the large answers in flight and drops a client that stops reading, so its memory stays
bounded and comes back once the clients are gone, while probes are answered at once throughout.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.attacks import non_readers
from otel_ovh.serve import connection
from otel_ovh.serve.channel import STALL_TIMEOUT
from otel_ovh.serve.connection import LARGE_IN_FLIGHT
from otel_ovh.serve.server import MetricsServer
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.security.support import Served, memory, request, sim_env, start_serve

# Memory and answer times of one process under 300 connections: alone on the machine, or other tests'
# load is what gets measured.
pytestmark = pytest.mark.serial

MB = 1024 * 1024
CLIENTS = 300


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedOvh]:
    """A world whose plain exposition is over 2 MB."""
    shape = WorldShape(projects=4, instances_per_project=400, volumes_per_project=4)
    simulator = SimulatedOvh(World(seed=5, shape=shape), port=0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def served(sim: SimulatedOvh, tmp_path: Path) -> Iterator[Served]:
    process = start_serve(tmp_path / "serve", sim_env(sim, tmp_path), timeout=90)
    yield process
    process.stop()
    assert "Traceback" not in process.output(), process.output()


def test_clients_that_never_read_leave_memory_bounded_and_probes_answered(served: Served) -> None:
    for _ in range(3):  # the plain text and its allocator pools exist before the baseline
        plain = request("127.0.0.1", served.port, "/metrics", timeout=30)
        assert plain.status == 200
    assert len(plain.body) >= 2 * MB, len(plain.body)
    before = memory(served)
    stop, report = threading.Event(), []
    attack = threading.Thread(target=lambda: report.append(non_readers(served.port, stop, CLIENTS)))
    attack.start()
    peak, slowest, slowest_new = before, 0.0, 0.0
    probe = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)  # kept alive, as a scraper's
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            began = time.monotonic()
            probe.request("GET", "/healthz")
            assert probe.getresponse().read() == b"ok\n"
            slowest = max(slowest, time.monotonic() - began)
            began = time.monotonic()
            assert request("127.0.0.1", served.port, "/healthz", timeout=5).status == 200
            slowest_new = max(slowest_new, time.monotonic() - began)
            peak = max(peak, memory(served))
            time.sleep(0.1)
    finally:
        probe.close()
        stop.set()
        attack.join(30)
    time.sleep(3)
    after = memory(served)
    assert peak - before < 100 * MB, f"grew by {(peak - before) / MB:.0f} MB ({report})"
    assert slowest < 1.0, f"/healthz took {slowest:.2f} s on a kept-alive connection"
    # A new connection waits behind other new connections' reads only, never their large answers.
    assert slowest_new < 1.0, f"/healthz took {slowest_new:.2f} s on a new connection"
    assert after - before < 30 * MB, f"kept {(after - before) / MB:.0f} MB after the clients left"
    assert request("127.0.0.1", served.port, "/metrics", timeout=30).status == 200


def test_large_answers_in_flight_are_capped_and_a_stalled_one_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cap alone: no slot is handed over to a newcomer, however slowly this machine opens the clients.
    monkeypatch.setattr(connection, "STALLED", 60.0)
    body = b"x" * (32 * MB)  # more than the kernel's buffers take off the server's hands
    server = MetricsServer("127.0.0.1", 0, lambda _: (body,), healthy=lambda: None, ready=lambda: None)
    server.start()
    clients: list[socket.socket] = []
    try:
        for _ in range(LARGE_IN_FLIGHT + 16):
            client = socket.socket()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(("127.0.0.1", server.port))
            client.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(client)
        time.sleep(1.0)
        heads = [client.recv(4096, socket.MSG_PEEK)[:12] for client in clients]
        assert heads.count(b"HTTP/1.1 503") >= 16, Counter(heads)
        assert heads.count(b"HTTP/1.1 200") == LARGE_IN_FLIGHT, Counter(heads)
        assert request("127.0.0.1", server.port, "/healthz", timeout=1).status == 200
        time.sleep(STALL_TIMEOUT + 2)  # none of them reads: each stalled answer is given up
        stalled = clients[heads.index(b"HTTP/1.1 200")]
        stalled.settimeout(5)
        received = 0
        while chunk := stalled.recv(1 << 20):
            received += len(chunk)
        assert received < len(body), "the whole answer waited for a client that had stopped reading"
    finally:
        for client in clients:
            client.close()
        server.stop()


def _ask(port: int, receive_buffer: int = 4096) -> socket.socket:
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    client.connect(("127.0.0.1", port))
    client.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    return client


def _status(client: socket.socket) -> bytes:
    client.settimeout(5)
    return client.recv(12, socket.MSG_PEEK)


@pytest.mark.parametrize("reads", [False, True], ids=["stalled", "reading"])
def test_a_client_that_takes_nothing_gives_its_slot_to_a_newcomer_one_that_reads_keeps_it(
    monkeypatch: pytest.MonkeyPatch, reads: bool
) -> None:
    monkeypatch.setattr(connection, "LARGE_IN_FLIGHT", 1)
    body = b"x" * (32 * MB)
    server = MetricsServer("127.0.0.1", 0, lambda _: (body,), healthy=lambda: None, ready=lambda: None)
    server.start()
    first = _ask(server.port, 64 * 1024)  # a reader's window: each read below takes up to 64 KiB
    stop = threading.Event()

    def read_steadily() -> None:  # about 512 KB/s: slow, but never a second without a step taken
        first.settimeout(1)
        while not stop.is_set():
            try:
                first.recv(64 * 1024)
            except OSError:
                return
            time.sleep(0.125)

    reader = threading.Thread(target=read_steadily)
    try:
        assert _status(first) == b"HTTP/1.1 200"
        if reads:
            reader.start()
        time.sleep(connection.STALLED + 2)
        newcomer = _ask(server.port)
        assert _status(newcomer) == (b"HTTP/1.1 503" if reads else b"HTTP/1.1 200")
        newcomer.close()
    finally:
        stop.set()
        if reads:
            reader.join()
        first.close()
        server.stop()
