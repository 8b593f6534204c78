"""A good scraper's latency while hostile clients hit the same ``otel-ovh serve``, attack by attack.

    python -m benchmarks.attacks                    # the working tree, ~8 s per attack
    python -m benchmarks.attacks --against main     # that revision and the working tree, one table

otel-ovh serves a small simulated world with basic auth (bcrypt cost 10, as ``htpasswd -B`` writes it) on
plain HTTP. A scraper with the right password asks for ``/metrics`` (gzip, one kept-alive connection) every
``--gap`` seconds while one attack runs; each row gives its answers, its failures (anything but a 200 with
the series) and p50/p99/max, with the server's peak resident memory and CPU during the attack. Target: p99
under 50 ms whatever the attack. The attacks:

- header flood: ``--flood`` connections each send header lines of 60 KiB without end;
- burst: ``--burst`` connections opened at once, each asking ``/healthz``, over and over;
- wrong passwords: ``--liars`` clients asking ``/metrics`` with a wrong password, back to back;
- slowloris: ``--slow`` connections each sending its request head one byte a second.

The attack clients here are also what ``tests/security/test_hostile_clients.py`` uses.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.client
import json
import multiprocessing
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt

from benchmarks.bench import Child, free_port, percentiles

USER, PASSWORD = "prometheus", "good-password"
Attack = Callable[[int, Any, int], None]  # (port, a stop event of threading or multiprocessing, strength)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- the attackers ---------------------------------------------------------------------------------


def _threads(count: int, target: Callable[[], None]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def header_flood(port: int, stop: Any, connections: int) -> None:
    """Each connection sends a request line, then 60 KiB header lines until the server cuts it off."""
    line = b"X-Flood: " + b"a" * (60 * 1024) + b"\r\n"

    def one() -> None:
        while not stop.is_set():
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                for _ in range(100):
                    if stop.is_set():
                        return
                    sock.sendall(line)
                stop.wait(5)  # all sent: hold what the server keeps
            stop.wait(0.05)

    for thread in _threads(connections, one):
        thread.join()


def burst(port: int, stop: Any, size: int) -> None:
    """``size`` connections opened as fast as possible, then one request on each, then all closed."""
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        opened: list[socket.socket] = []
        for _ in range(size):
            with suppress(OSError):
                opened.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        for sock in opened:
            with suppress(OSError):
                sock.sendall(request)
        for sock in opened:
            with suppress(OSError):
                sock.recv(4096)
            sock.close()


def wrong_passwords(port: int, stop: Any, clients: int) -> None:
    """Clients asking ``/metrics`` with a wrong password, back to back, each on a kept-alive connection."""

    def one() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": basic(USER, "wrong-password")}
        while not stop.is_set():
            try:
                connection.request("GET", "/metrics", headers=headers)
                connection.getresponse().read()
            except (OSError, http.client.HTTPException):
                connection.close()
                stop.wait(0.01)

    for thread in _threads(clients, one):
        thread.join()


def slowloris(port: int, stop: Any, connections: int) -> None:
    """Connections that each send their request head one byte a second, reopened when the server closes."""
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 4096

    def fresh() -> tuple[socket.socket, int] | None:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5), 0
        except OSError:
            return None

    sockets = [fresh() for _ in range(connections)]
    while not stop.wait(1.0):
        for index, entry in enumerate(sockets):
            if entry is None:
                sockets[index] = fresh()
                continue
            sock, sent = entry
            try:
                sock.sendall(head[sent % len(head) : sent % len(head) + 1])
                sockets[index] = (sock, sent + 1)
            except OSError:
                sock.close()
                sockets[index] = fresh()
    for entry in sockets:
        if entry is not None:
            entry[0].close()


ATTACKS: dict[str, tuple[Attack, str]] = {
    "header flood": (header_flood, "flood"),
    "burst": (burst, "burst"),
    "wrong passwords": (wrong_passwords, "liars"),
    "slowloris": (slowloris, "slow"),
}


# -- the good scraper ------------------------------------------------------------------------------


@dataclass
class Scrapes:
    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def good_scraper(port: int, stop: Any, gap: float, marker: bytes = b"ovh_cloud_") -> Scrapes:
    """Scrapes until ``stop``; a failure is anything but a 200 whose (gunzipped) body has the series."""
    result = Scrapes()
    headers = {"Authorization": basic(USER, PASSWORD), "Accept-Encoding": "gzip"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.wait(gap):
        started = time.perf_counter()
        try:
            connection.request("GET", "/metrics", headers=headers)
            response = connection.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            if response.getheader("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
        except (OSError, http.client.HTTPException) as error:
            result.failures.append(f"{type(error).__name__}: {error}")
            connection.close()
            continue
        result.times.append(elapsed)
        if response.status != 200 or marker not in body:
            result.failures.append(f"{response.status}: {body[:80]!r}")
    connection.close()
    return result


@contextmanager
def attacking(port: int, attack: Attack | None, strength: int) -> Iterator[None]:
    """``attack`` in a process of its own (so that its threads do not slow the good scraper's), with a
    second's head start; stopped on leaving."""
    if attack is None:
        yield
        return
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    attacker = context.Process(target=attack, args=(port, stop, strength), daemon=True)
    attacker.start()
    try:
        time.sleep(1.0)
        yield
    finally:
        stop.set()
        attacker.join(15)
        if attacker.is_alive():
            attacker.kill()


def under_attack(port: int, attack: Attack | None, strength: int, seconds: float, gap: float) -> Scrapes:
    """The good scraper for ``seconds`` while ``attack`` runs."""
    with attacking(port, attack, strength):
        done = threading.Event()
        threading.Timer(seconds, done.set).start()
        return good_scraper(port, done, gap)


# -- the run ---------------------------------------------------------------------------------------


@contextmanager
def serving(workdir: Path, tree: Path | None, sim_url: str, credentials: dict[str, str]) -> Iterator[Child]:
    """``otel-ovh serve`` of ``tree`` (None: this checkout) behind basic auth, ready to scrape."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()
    web = workdir / "web.yml"
    web.write_text(json.dumps({"basic_auth_users": {USER: "$2y$" + hashed[4:]}}))
    port = free_port()
    settings = {
        "ovh": {"endpoint": sim_url, **credentials},
        "collect": {"interval": 300, "max_calls_per_second": 0},
        "prometheus": {"host": "127.0.0.1", "port": port, "web_config_file": str(web)},
    }
    config = workdir / f"{tree.name if tree else 'tree'}.yaml"
    config.write_text(json.dumps(settings))
    root = tree or Path(__file__).resolve().parent.parent
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "HOME": str(workdir)}
    argv = [sys.executable, "-m", "otel_ovh", "serve", "--config", str(config)]
    child = Child(root.name, argv, env, port, workdir / f"{config.stem}.log", cwd=root).start()
    try:
        child.wait_http("/healthz", 60)
        child.wait_refreshes(1, 60)
        time.sleep(3)  # what follows the first refresh (its render, the first self metrics) is not an attack
        yield child
    finally:
        child.stop()


def measure(child: Child, args: argparse.Namespace) -> list[tuple[str, Scrapes, int, float]]:
    rows = []
    chosen = [(name, ATTACKS[name]) for name in args.only] if args.only else list(ATTACKS.items())
    for name, (attack, strength) in [("none", (None, "")), *chosen]:
        child.peak_rss = 0
        cpu = child.cpu()
        scrapes = under_attack(child.port, attack, getattr(args, strength, 0), args.seconds, args.gap)
        rows.append((name, scrapes, child.vm_hwm() if name == "none" else child.peak_rss, child.cpu() - cpu))
        time.sleep(2)  # let the server drop what the attack left
    return rows


def print_table(results: dict[str, list[tuple[str, Scrapes, int, float]]]) -> None:
    print(
        f"\n{'attack':<16} {'version':<14} {'scrapes':>7} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'peak RSS':>9} {'CPU s':>6}"
    )
    names = [row[0] for row in next(iter(results.values()))]
    for index, name in enumerate(names):
        for version, rows in results.items():
            _, scrapes, rss, cpu = rows[index]
            p50, p99 = percentiles(scrapes.times) if scrapes.times else (float("nan"), float("nan"))
            worst = max(scrapes.times, default=float("nan"))
            print(
                f"{name:<16} {version:<14} {len(scrapes.times):>7} {len(scrapes.failures):>6} "
                f"{p50 * 1000:>8.1f} {p99 * 1000:>8.1f} {worst * 1000:>8.1f} {rss / 2**20:>7.0f} MB "
                f"{cpu:>6.1f}"
            )
    print("target: p99 under 50 ms under every attack, no failed scrape")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="scraping time under each attack")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between the good scraper's scrapes")
    parser.add_argument("--flood", type=int, default=60, help="header-flood connections")
    parser.add_argument("--burst", type=int, default=300, help="connections per burst")
    parser.add_argument("--liars", type=int, default=24, help="wrong-password clients")
    parser.add_argument("--slow", type=int, default=200, help="slowloris connections")
    parser.add_argument("--against", metavar="REV", help="git revision to measure beside the working tree")
    parser.add_argument("--only", action="append", choices=list(ATTACKS), help="this attack (repeatable)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks.bench import machine
    from benchmarks.compare import prepare, snapshot_working_tree, unpack_revision
    from otel_ovh.simulator import SimulatedOvh, World, WorldShape

    args = parse_args(argv)
    print(machine())
    world = World(seed=5, shape=WorldShape(projects=4, instances_per_project=5, volumes_per_project=4))
    sim = SimulatedOvh(world, port=0, latency=0.01).start()
    results: dict[str, list[tuple[str, Scrapes, int, float]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="otel-ovh-attacks-") as tmp:
            versions = [snapshot_working_tree(Path(tmp) / "tree")]
            if args.against:
                versions.insert(0, unpack_revision(args.against, Path(tmp) / "rev"))
            for version in versions:
                prepare(version)
                with serving(Path(tmp), version.path, sim.url, sim.credentials) as child:
                    results[version.label] = measure(child, args)
    finally:
        sim.stop()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
