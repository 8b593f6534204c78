"""A good scraper's latency while hostile clients hit the same ``otel-ovh serve``, attack by attack.

    python -m benchmarks.attacks                    # the working tree, ~8 s per attack
    python -m benchmarks.attacks --against main     # that revision and the working tree, one table
    python -m benchmarks.attacks --servers h11,uvicorn,hypercorn   # the same handler under other servers

otel-ovh serves a small simulated world with basic auth (bcrypt cost 10, as ``htpasswd -B`` writes it) on
plain HTTP. A scraper with the right password asks for ``/metrics`` (gzip, one kept-alive connection) every
``--gap`` seconds while one attack runs; each row gives its answers, its failures (anything but a 200 with
the series) and p50/p99/max, with the server's peak resident memory and CPU during the attack; meanwhile a
liveness probe asks ``/healthz`` on a new connection every 0.1 s (``probe max``: its slowest answer, 5 s
for a failure). Target: p99 under 50 ms whatever the attack, probes within a second. The attacks:

- header flood: ``--flood`` connections each send header lines of 60 KiB without end;
- burst: ``--burst`` connections opened at once, each asking ``/healthz``, over and over;
- wrong passwords: ``--liars`` clients asking ``/metrics`` with a wrong password, back to back;
- slowloris: ``--slow`` connections each sending its request head one byte a second;
- non-readers: ``--non-readers`` connections each ask ``/metrics`` (good password, no gzip, a 4 KiB receive
  buffer) and never read the answer, held for the whole attack, then closed.

With ``--tls`` (``both``, the default, after the plain table; ``only``; ``off``) the same servers run again
behind TLS with a required client certificate (mutual TLS, as the web config asks), the scraper presenting
one, under: a handshake flood (``--handshakes`` clients doing full handshakes back to back, half of them
without a certificate, so refused), slow handshakes (``--slow`` connections sending a ClientHello a byte a
second) and non-readers (with a certificate).

Every row also gives the server's resident memory at the start of the attack, its growth at the peak and
what is left of that growth ``--settle`` seconds after the attackers have gone: whether memory came back.
The world is ``--projects`` × ``--instances`` (default: a plain exposition over 2 MB, printed with the
table), so that an answer a non-reader leaves unread is as large as a big account's.

Versions (``--against``) and servers (``--servers``, see ``benchmarks/server_candidates.py``) all run at
once against one simulated OVH and take turns attack by attack, the order rotating, so machine noise falls
on each of them.

The attack clients here are also what ``tests/security/test_hostile_clients.py`` uses.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import http.client
import json
import multiprocessing
import os
import socket
import ssl
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
import psutil  # type: ignore[import-untyped]  # no stubs in the venv

from benchmarks.bench import Child, free_port, percentiles

USER, PASSWORD = "prometheus", "good-password"
# (port, a stop event of threading or multiprocessing, strength); the TLS attacks take a ClientTls too.
Attack = Callable[..., str | None]


@dataclass(frozen=True)
class ClientTls:
    """What a client of the mutual-TLS server may present: the CA to trust, its certificate and key."""

    ca: str
    cert: str
    key: str

    def context(self, *, certificate: bool = True) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca)
        if certificate:
            context.load_cert_chain(self.cert, self.key)
        return context


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


def slowloris(port: int, stop: Any, connections: int, head: bytes | None = None) -> None:
    """Connections that each send their request head (or ``head``) one byte a second, reopened when the
    server closes."""
    head = head or b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 4096

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


def non_readers(port: int, stop: Any, connections: int, tls: ClientTls | None = None) -> str:
    """Connections that each ask the plain exposition with the good password and never read a byte of it.

    A 4 KiB receive buffer, set before connecting, keeps the kernel from taking the answer off the
    server's hands (on loopback it would otherwise buffer megabytes), as a slow or hostile client far away
    would; what the server cannot send stays in its own memory. Held until ``stop``, then closed.
    Reports how many answers had begun by then (the server's memory grows with those, not with the
    connections), told by a peek at the bytes waiting in each socket: a full receive buffer, not a refusal
    or a TLS session ticket.
    """
    request = (f"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(USER, PASSWORD)}\r\n\r\n").encode()
    context = tls.context() if tls else None
    opened: list[socket.socket] = []
    for _ in range(connections):
        if stop.is_set():
            break
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.settimeout(5)
            raw.connect(("127.0.0.1", port))
            sock = context.wrap_socket(raw, server_hostname="localhost") if context else raw
            sock.sendall(request)
            opened.append(sock)
        except OSError:
            raw.close()
    stop.wait()
    begun = 0
    for sock in opened:
        with suppress(OSError), socket.socket(fileno=os.dup(sock.fileno())) as raw:  # peeks under TLS too
            begun += len(raw.recv(8192, socket.MSG_PEEK | socket.MSG_DONTWAIT)) > 1024
        sock.close()
    return f"non-readers: {begun} of {len(opened)} answers begun"


def handshake_flood(port: int, stop: Any, clients: int, tls: ClientTls) -> None:
    """Clients doing full TLS handshakes back to back and closing; the odd ones have no client certificate,
    so the server must refuse them (mutual TLS), which costs it a handshake all the same."""

    def one(certificate: bool) -> None:
        context = tls.context(certificate=certificate)
        while not stop.is_set():
            with (
                suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname="localhost") as sock,
            ):
                if not certificate:
                    sock.recv(1)  # TLS 1.3: the refusal comes after the client's Finished
            if not certificate:
                stop.wait(0.01)

    threads = [threading.Thread(target=one, args=(index % 2 == 0,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def slow_handshakes(port: int, stop: Any, connections: int, tls: ClientTls) -> None:
    """Slowloris on the TLS port: a real ClientHello (with its certificate on offer), sent a byte a second."""
    context = tls.context()
    outgoing = ssl.MemoryBIO()
    client = context.wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname="localhost")
    with suppress(ssl.SSLWantReadError):
        client.do_handshake()
    slowloris(port, stop, connections, head=outgoing.read())


ATTACKS: dict[str, tuple[Attack, str]] = {
    "header flood": (header_flood, "flood"),
    "burst": (burst, "burst"),
    "wrong passwords": (wrong_passwords, "liars"),
    "slowloris": (slowloris, "slow"),
    "non-readers": (non_readers, "non_readers"),
}
TLS_ATTACKS: dict[str, tuple[Attack, str]] = {
    "handshake flood": (handshake_flood, "handshakes"),
    "slow handshakes": (slow_handshakes, "slow"),
    "non-readers": (non_readers, "non_readers"),
}


# -- the good scraper ------------------------------------------------------------------------------


@dataclass
class Scrapes:
    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    note: str = ""  # what the attack itself reports, if anything
    probes: list[float] = field(default_factory=list)  # /healthz on a new connection each time


def new_connection_probes(port: int, stop: Any, gap: float, tls: ClientTls | None, into: Scrapes) -> None:
    """``/healthz`` on a new connection every ``gap`` seconds until ``stop``, as a liveness probe asks it;
    a failure counts as the probe's timeout (5 s)."""
    while not stop.wait(gap):
        started = time.perf_counter()
        if tls is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        else:
            connection = http.client.HTTPSConnection("localhost", port, timeout=5, context=tls.context())
        try:
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            into.probes.append(time.perf_counter() - started)
        except (OSError, http.client.HTTPException):
            into.probes.append(5.0)
        finally:
            connection.close()


def good_scraper(
    port: int, stop: Any, gap: float, marker: bytes = b"ovh_cloud_", tls: ClientTls | None = None
) -> Scrapes:
    """Scrapes until ``stop``; a failure is anything but a 200 whose (gunzipped) body has the series.
    With ``tls``, over HTTPS presenting the client certificate (the connection is kept alive either way,
    so the handshake is paid once)."""
    result = Scrapes()
    headers = {"Authorization": basic(USER, PASSWORD), "Accept-Encoding": "gzip"}
    connection: http.client.HTTPConnection
    if tls is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        connection = http.client.HTTPSConnection("localhost", port, timeout=30, context=tls.context())
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


def _reporting(attack: Attack, notes: Any, *args: Any) -> None:
    """The attacker process: ``attack``, then what it returned (a line, or None) for the table."""
    note = attack(*args)
    if note:
        notes.put(note)


@contextmanager
def attacking(
    port: int, attack: Attack | None, strength: int, tls: ClientTls | None = None
) -> Iterator[list[str]]:
    """``attack`` in a process of its own (so that its threads do not slow the good scraper's), with a
    second's head start; stopped on leaving, after which the list given holds what the attack reported."""
    notes: list[str] = []
    if attack is None:
        yield notes
        return
    context = multiprocessing.get_context("spawn")
    stop, reported = context.Event(), context.SimpleQueue()
    args = (port, stop, strength) if tls is None else (port, stop, strength, tls)
    attacker = context.Process(target=_reporting, args=(attack, reported, *args), daemon=True)
    attacker.start()
    try:
        time.sleep(1.0)
        yield notes
    finally:
        stop.set()
        attacker.join(15)
        if attacker.is_alive():
            attacker.kill()
        while not reported.empty():
            notes.append(reported.get())


def under_attack(
    port: int, attack: Attack | None, strength: int, seconds: float, gap: float, tls: ClientTls | None = None
) -> Scrapes:
    """The good scraper for ``seconds`` while ``attack`` runs."""
    probed = Scrapes()
    with attacking(port, attack, strength, tls) as notes:
        done = threading.Event()
        threading.Timer(seconds, done.set).start()
        prober = threading.Thread(target=new_connection_probes, args=(port, done, 0.1, tls, probed))
        prober.start()
        scrapes = good_scraper(port, done, gap, tls=tls)
        prober.join()
    scrapes.note = "; ".join(notes)
    scrapes.probes = probed.probes
    return scrapes


# -- the run ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    """One server under test: a copy of otel-ovh (``root``) answered by ``server`` (see
    ``benchmarks/server_candidates.py``; ``h11`` is the product's own)."""

    label: str
    root: Path
    server: str = "h11"


@dataclass
class Row:
    """One attack on one contender: the scrapes and the server's cost."""

    attack: str
    label: str
    scrapes: Scrapes
    rss_before: int
    rss_peak: int
    rss_after: int
    cpu: float


@dataclass(frozen=True)
class ServerTls:
    """The files of the TLS phase: the server's (web config) and the client's."""

    cert: Path
    key: Path
    ca: Path
    client: ClientTls


def make_tls(directory: Path) -> ServerTls:
    """A fresh CA, a server certificate for localhost/127.0.0.1 and a client certificate, as the security
    tests make them (``tests/support/certs.py``, the ``openssl`` command line)."""
    from tests.support.certs import make_tls_material

    made = make_tls_material(directory)
    client = ClientTls(str(made.ca_cert), str(made.client_cert), str(made.client_key))
    return ServerTls(made.server_cert, made.server_key, made.ca_cert, client)


@contextmanager
def serving(
    workdir: Path,
    contender: Contender,
    sim_url: str,
    credentials: dict[str, str],
    tls: ServerTls | None = None,
) -> Iterator[Child]:
    """``otel-ovh serve`` of ``contender`` behind basic auth (and mutual TLS with ``tls``), not yet ready:
    see :func:`ready`."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()
    name = f"{contender.label}-{'tls' if tls else 'plain'}".replace(" ", "-")
    web: dict[str, Any] = {"basic_auth_users": {USER: "$2y$" + hashed[4:]}}
    if tls is not None:
        web["tls_server_config"] = {
            "cert_file": str(tls.cert),
            "key_file": str(tls.key),
            "client_ca_file": str(tls.ca),
            "client_auth_type": "RequireAndVerifyClientCert",
        }
    web_file = workdir / f"{name}-web.yml"
    web_file.write_text(json.dumps(web))
    port = free_port()
    settings = {
        "ovh": {"endpoint": sim_url, **credentials},
        "collect": {"interval": 3600, "max_calls_per_second": 0},
        "prometheus": {"host": "127.0.0.1", "port": port, "web_config_file": str(web_file)},
    }
    config = workdir / f"{name}.yaml"
    config.write_text(json.dumps(settings))
    here = Path(__file__).resolve().parent.parent
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{contender.root}:{here}", "HOME": str(workdir)}
    argv = [
        sys.executable,
        "-m",
        "benchmarks.server_candidates",
        contender.server,
        "serve",
        "--config",
        str(config),
    ]
    if contender.server == "h11":  # exactly what the product runs
        argv = [sys.executable, "-m", "otel_ovh", "serve", "--config", str(config)]
    child = Child(name, argv, env, port, workdir / f"{name}.log", cwd=contender.root).start()
    try:
        yield child
    finally:
        child.stop()


def ready(child: Child, timeout: float) -> None:
    """Listening and its first refresh published; then a few seconds for what follows it (its render, the
    first self metrics), which is not an attack."""
    child.wait_http("", timeout)
    child.wait_refreshes(1, timeout)
    time.sleep(3)


def rss(child: Child) -> int:
    assert child.process is not None
    try:
        return int(psutil.Process(child.process.pid).memory_info().rss)
    except psutil.Error:
        return 0


def exposition_size(port: int) -> int:
    """Bytes of the plain exposition (what a non-reader asks for)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/metrics", headers={"Authorization": basic(USER, PASSWORD)})
        return len(connection.getresponse().read())
    finally:
        connection.close()


def measure(
    children: dict[str, Child],
    attacks: dict[str, tuple[Attack, str]],
    args: argparse.Namespace,
    tls: ClientTls | None = None,
) -> list[Row]:
    """Every attack on every contender, the contenders taking turns, the order rotating per attack."""
    rows = []
    labels = list(children)
    for turn, (name, (attack, strength)) in enumerate([("none", (None, "")), *attacks.items()]):
        shift = turn % len(labels)
        for label in labels[shift:] + labels[:shift]:
            child = children[label]
            before, cpu = rss(child), child.cpu()
            child.peak_rss = before
            scrapes = under_attack(
                child.port, attack, getattr(args, strength, 0), args.seconds, args.gap, tls
            )
            peak, spent = child.peak_rss, child.cpu() - cpu
            time.sleep(args.settle)  # the attackers are gone: does the memory come back?
            rows.append(Row(name, label, scrapes, before, peak, rss(child), spent))
    return rows


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(
        f"{'attack':<16} {'server':<14} {'scrapes':>7} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'probe max':>9} {'RSS MB':>7} {'+peak':>7} {'+after':>7} {'CPU s':>6}"
    )
    order = {label: index for index, label in enumerate(dict.fromkeys(row.label for row in rows))}
    attacks = list(dict.fromkeys(row.attack for row in rows))
    for row in sorted(rows, key=lambda r: (attacks.index(r.attack), order[r.label])):
        times = row.scrapes.times
        p50, p99 = percentiles(times) if times else (float("nan"), float("nan"))
        worst = max(times, default=float("nan"))
        probe = max(row.scrapes.probes, default=float("nan"))
        peak, after = (row.rss_peak - row.rss_before) / 2**20, (row.rss_after - row.rss_before) / 2**20
        print(
            f"{row.attack:<16} {row.label:<14} {len(times):>7} {len(row.scrapes.failures):>6} "
            f"{p50 * 1000:>8.1f} {p99 * 1000:>8.1f} {worst * 1000:>8.1f} {probe * 1000:>9.1f} "
            f"{row.rss_before / 2**20:>7.0f} "
            f"{peak:>+7.0f} {after:>+7.0f} {row.cpu:>6.1f}"
        )
    for row in rows:
        if row.scrapes.note:
            print(f"  {row.label}: {row.scrapes.note}")
    failures = [(row.attack, row.label, row.scrapes.failures[0]) for row in rows if row.scrapes.failures]
    for attack, label, first in failures:
        print(f"  {attack} / {label}: first failure: {first[:120]}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="scraping time under each attack")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between the good scraper's scrapes")
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds after an attack before RSS is read"
    )
    parser.add_argument("--flood", type=int, default=60, help="header-flood connections")
    parser.add_argument("--burst", type=int, default=300, help="connections per burst")
    parser.add_argument("--liars", type=int, default=24, help="wrong-password clients")
    parser.add_argument("--slow", type=int, default=200, help="slowloris (and slow-handshake) connections")
    parser.add_argument("--non-readers", type=int, default=300, help="connections that never read the answer")
    parser.add_argument("--handshakes", type=int, default=16, help="handshake-flood clients (TLS)")
    parser.add_argument("--projects", type=int, default=4, help="projects of the simulated world")
    parser.add_argument("--instances", type=int, default=400, help="instances per project")
    parser.add_argument("--against", metavar="REV", help="git revision to measure beside the working tree")
    parser.add_argument(
        "--servers",
        default="h11",
        help="comma-separated servers for the working tree: h11 (ours), uvicorn, hypercorn",
    )
    parser.add_argument("--tls", choices=("both", "only", "off"), default="both", help="the mutual-TLS table")
    parser.add_argument("--only", action="append", help="this attack (repeatable; names as in the table)")
    args = parser.parse_args(argv)
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    return args


def _server_label(server: str, servers: list[str], tree: str) -> str:
    """The working tree's label: the server's name when servers are compared, ours said to be ours."""
    if len(servers) == 1:
        return tree
    return "h11 (ours)" if server == "h11" else server


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks.bench import machine
    from benchmarks.compare import prepare, snapshot_working_tree, unpack_revision
    from benchmarks.server_candidates import CANDIDATES
    from otel_ovh.simulator import SimulatedOvh, World, WorldShape

    args = parse_args(argv)
    unknown = [name for name in args.servers if name not in CANDIDATES]
    if unknown:
        print(f"unknown server(s) {', '.join(unknown)}; known: {', '.join(CANDIDATES)}")
        return 2
    print(machine())
    shape = WorldShape(projects=args.projects, instances_per_project=args.instances, volumes_per_project=4)
    sim = SimulatedOvh(World(seed=5, shape=shape), port=0, latency=0.01).start()
    phases = [("plain HTTP", False)] * (args.tls != "only") + [("mutual TLS", True)] * (args.tls != "off")
    try:
        with tempfile.TemporaryDirectory(prefix="otel-ovh-attacks-") as tmp:
            workdir = Path(tmp)
            tree = snapshot_working_tree(workdir / "tree")
            prepare(tree)
            contenders = [
                Contender(_server_label(name, args.servers, tree.label), tree.path, name)
                for name in args.servers
            ]
            if args.against:
                revision = unpack_revision(args.against, workdir / "rev")
                prepare(revision)
                contenders.insert(0, Contender(revision.label, revision.path))
            server_tls = make_tls(workdir / "tls") if args.tls != "off" else None
            for title, with_tls in phases:
                tls = server_tls if with_tls else None
                attacks = TLS_ATTACKS if with_tls else ATTACKS
                if args.only:
                    attacks = {name: attack for name, attack in attacks.items() if name in args.only}
                with contextlib.ExitStack() as stack:
                    children = {
                        contender.label: stack.enter_context(
                            serving(workdir, contender, sim.url, sim.credentials, tls)
                        )
                        for contender in contenders
                    }
                    for child in children.values():
                        ready(child, 300)
                    first = next(iter(children.values()))
                    size = (
                        ""
                        if with_tls
                        else f", plain exposition {exposition_size(first.port) / 2**20:.2f} MiB"
                    )
                    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                    print(
                        f"{title}: {args.projects} projects × {args.instances} instances{size}; load {load}"
                    )
                    rows = measure(children, attacks, args, tls.client if tls else None)
                print_table(
                    f"{title} (load avg at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())})", rows
                )
    finally:
        sim.stop()
    print("target: p99 under 50 ms under every attack, no failed scrape; +after near 0: memory came back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
