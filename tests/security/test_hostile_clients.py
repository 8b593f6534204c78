"""Hostile clients against a real ``otel-ovh serve``, each with a well-behaved scraper alongside.

The attackers are the benchmark's (``benchmarks/attacks.py``, which prints the latency figures); here the
scraper must keep getting whole answers, the server must refuse what it should and its memory must stay
bounded. Time bounds are loose on purpose: they catch a stall of seconds, not a slow machine.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.attacks import (
    PASSWORD,
    USER,
    Scrapes,
    attacking,
    burst,
    good_scraper,
    header_flood,
    slowloris,
    wrong_passwords,
)
from benchmarks.bench import percentiles
from otel_ovh.serve.connection import HEADER_TIMEOUT
from otel_ovh.serve.server import BACKLOG
from otel_ovh.simulator import SimulatedOvh
from tests.security.support import (
    Served,
    basic,
    client_context,
    htpasswd_hash,
    memory,
    raw_answer,
    request,
    sim_env,
    start_serve,
    tls_section,
    write_web_config,
)
from tests.support.certs import TlsMaterial

SLACK = 5.0  # seconds beyond a server deadline before a test calls it missed


@pytest.fixture(scope="module")
def served(sim: SimulatedOvh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Basic auth at htpasswd's default cost, so that each wrong password costs a real bcrypt."""
    home = tmp_path_factory.mktemp("hostile")
    web = write_web_config(home / "web.yml", {"basic_auth_users": {USER: htpasswd_hash(PASSWORD, rounds=10)}})
    process = start_serve(home / "serve", sim_env(sim, home, OTEL_OVH_PROMETHEUS__WEB_CONFIG_FILE=str(web)))
    yield process
    process.stop()
    assert "Traceback" not in process.output(), process.output()


def peak_memory(served: Served) -> int:
    return memory(served, "VmHWM")


def scrape_during(served: Served, attack: object, strength: int, seconds: float = 4.0) -> Scrapes:
    with attacking(served.port, attack, strength):  # type: ignore[arg-type]
        done = threading.Event()
        threading.Timer(seconds, done.set).start()
        return good_scraper(served.port, done, 0.05)


def assert_served_well(scrapes: Scrapes, bound: float = 1.0) -> None:
    assert not scrapes.failures, scrapes.failures[:5]
    assert len(scrapes.times) >= 10, len(scrapes.times)
    _, p99 = percentiles(scrapes.times)
    assert p99 < bound, f"the good scraper's p99 was {p99 * 1000:.0f} ms"


def test_an_oversized_head_gets_431(served: Served) -> None:
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
    too_long = raw_answer(served.port, head + b"X-Big: " + b"a" * 200_000 + b"\r\n\r\n")
    assert too_long.startswith(b"HTTP/1.1 431 "), too_long[:200]
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    too_many = raw_answer(served.port, head + many + b"\r\n")
    assert too_many.startswith(b"HTTP/1.1 431 "), too_many[:200]
    assert b"ovh_cloud_" not in too_long + too_many


@pytest.mark.serial  # the scraper's latency bound is the point
def test_a_header_flood_keeps_memory_bounded_and_the_scraper_served(served: Served) -> None:
    before = peak_memory(served)
    scrapes = scrape_during(served, header_flood, 60)
    grown = peak_memory(served) - before
    assert_served_well(scrapes)
    assert grown < 64 * 2**20, f"60 flooding connections grew the server by {grown / 2**20:.0f} MiB"


@pytest.mark.serial  # the scraper's latency bound is the point
def test_the_listen_backlog_absorbs_a_burst(served: Served) -> None:
    listening = subprocess.run(
        ["ss", "-Hltn", f"sport = :{served.port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(listening[2]) >= 128, listening  # Send-Q of a listening socket is its backlog
    assert BACKLOG >= 128

    request_line = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    started = time.monotonic()
    opened = [socket.create_connection(("127.0.0.1", served.port), timeout=10) for _ in range(300)]
    for sock in opened:
        sock.sendall(request_line)
    answers = [sock.recv(4096) for sock in opened]
    for sock in opened:
        sock.close()
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    assert time.monotonic() - started < 10

    assert_served_well(scrape_during(served, burst, 300))


@pytest.mark.serial  # the scraper's latency bound is the point
def test_a_wrong_password_flood_does_not_starve_the_scraper(served: Served) -> None:
    assert_served_well(scrape_during(served, wrong_passwords, 24), bound=0.5)
    wrong = request("127.0.0.1", served.port, headers=basic(USER, "not-it"))
    assert wrong.status == 401 and b"ovh_cloud_" not in wrong.body


@pytest.mark.serial  # the scraper's latency bound is the point
def test_slow_heads_are_cut_off_and_the_scraper_is_served(served: Served) -> None:
    assert_served_well(scrape_during(served, slowloris, 100))
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as trickle:
        started = time.monotonic()
        closed_after = None
        for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 60:
            try:
                trickle.sendall(bytes([byte]))
                trickle.settimeout(0.5)
                if trickle.recv(4096) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None, "a head trickling for 30 s was never cut off"
    assert HEADER_TIMEOUT - 1 < closed_after < HEADER_TIMEOUT + SLACK, closed_after


def test_a_silent_connection_is_closed(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=HEADER_TIMEOUT + SLACK) as silent:
        started = time.monotonic()
        assert silent.recv(1) == b""
        assert time.monotonic() - started < HEADER_TIMEOUT + SLACK


def test_stalled_tls_handshakes_block_nobody_and_are_dropped(
    sim: SimulatedOvh, tmp_path: Path, tls_material: TlsMaterial
) -> None:
    web = write_web_config(tmp_path / "web.yml", {"tls_server_config": tls_section(tls_material)})
    context = client_context(tls_material)
    served = start_serve(
        tmp_path / "serve",
        sim_env(sim, tmp_path, OTEL_OVH_PROMETHEUS__WEB_CONFIG_FILE=str(web)),
        context=context,
    )
    try:
        stalled = [socket.create_connection(("127.0.0.1", served.port), timeout=30) for _ in range(100)]
        for sock in stalled[::2]:
            sock.sendall(b"\x16\x03\x01\x02\x00\x01")  # a TLS record header and one byte of ClientHello
        started = time.monotonic()
        times = []
        for _ in range(20):
            begun = time.monotonic()
            answer = request("127.0.0.1", served.port, "/healthz", context=context)
            times.append(time.monotonic() - begun)
            assert (answer.status, answer.body) == (200, b"ok\n")
        assert max(times) < 2, times
        for sock in stalled:  # dropped at the handshake deadline
            sock.settimeout(max(0.1, started + 10 + SLACK - time.monotonic()))
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1) == b""
            sock.close()
        assert time.monotonic() - started < 10 + SLACK
        with pytest.raises(ssl.SSLError):  # a certificate nobody trusts still fails as TLS, not as HTTP
            request("127.0.0.1", served.port, "/healthz", context=ssl.create_default_context())
    finally:
        served.stop()
    assert "Traceback" not in served.output(), served.output()
