"""otel-ovh against the classic design, side by side, at a scale and OVH latency of your choosing.

The simulated OVH API runs in this process; otel-ovh (``python -m otel_ovh serve``) and the classic
baseline (``benchmarks/baseline.py``) each run in their own process, so that the CPU and memory printed
are theirs alone (psutil, ``VmHWM``). Every figure is measured in the same run, against the same world.

    python -m benchmarks.bench                 # 50 projects, ~20,000 series, 200 ms per OVH call (~12 min)
    python -m benchmarks.bench --quick         # small and fast: a smoke run (~30 s)
    python -m benchmarks.bench --against HEAD~5  # that revision and the working tree, side by side

Phases (each names what it proves):

1. refresh: otel-ovh with ``collect.concurrency`` (8) and back-to-back refreshes (``interval`` 1 s). The
   first refresh is cold (region services unknown), the second warm; its wall time, CPU and OVH calls
   per project are the figures. No scrape runs meanwhile, so the CPU is the refresh's.
2. scrapes under refresh: the same process keeps refreshing while ``--scrapes`` sequential scrapes of
   ``/metrics`` run, with OVH answering in 20 ms, then 200 ms, then 500 ms: scrape latency must not move.
3. quiet scrapes: a process that refreshed once and then idles; CPU per scrape is its CPU over N scrapes.
4. sequential: ``collect.concurrency`` 1, one (cold) refresh, against the cold refresh of phase 1. The
   baseline's scrapes run in parallel with it: both spend their time waiting for OVH, not computing.
5. ceiling: ``collect.max_calls_per_second`` set, OVH fast; the calls/s the simulator saw must stay under.

With ``--against REV``, phases 1-3 run for REV and for the working tree, interleaved, against this one
simulated world, and one table compares them (``benchmarks/compare.py``).

Calls per project per hour, where the families' cadences show, are ``benchmarks/hourly.py``'s.

``--attacks`` runs the hostile-client phase instead (``benchmarks/attacks.py``): a good scraper's p50/p99
under a header flood, a connection burst, a wrong-password flood and slowloris; with ``--against REV``,
for both versions.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import importlib
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the venv; used for a few numbers

from otel_ovh.simulator import SimulatedOvh, World, WorldShape

ROOT = Path(__file__).resolve().parent.parent
_REFRESH_LINE = re.compile(r"refresh (\d+): (\d+) project\(s\) in ([0-9.]+)s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scraper:
    """GETs over one kept-alive connection, asking for gzip, as Prometheus does; times the full answer.

    The body returned is decompressed (outside the timing) so that callers can read the series.
    """

    def __init__(self, port: int, timeout: float = 600.0, compress: bool = True) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self._headers = {"Accept-Encoding": "gzip"} if compress else {}

    def get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self._connection.request("GET", path, headers=self._headers)
        response = self._connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return elapsed, response.status, body

    def close(self) -> None:
        self._connection.close()


@dataclass
class Child:
    """A process under measurement: its log, its CPU and a sampled peak of its resident memory."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Child:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd
            )
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def _sample(self) -> None:
        """RSS every 50 ms; VmHWM (the kernel's own peak) is read at the end as well."""
        assert self.process is not None
        proc = psutil.Process(self.process.pid)
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, proc.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(0.05)

    def vm_hwm(self) -> int:
        assert self.process is not None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return self.peak_rss
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return max(self.peak_rss, int(match.group(1)) * 1024 if match else 0)

    def cpu(self) -> float:
        assert self.process is not None
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def refreshes(self) -> list[float]:
        """Wall time of each refresh the process logged, in order."""
        return [float(m.group(3)) for m in _REFRESH_LINE.finditer(self.log())]

    def wait_refreshes(self, count: int, timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.refreshes()
            if len(done) >= count:
                return done
            self._check_alive()
            time.sleep(0.02)
        raise RuntimeError(
            f"{self.name}: {count} refresh(es) not done in {timeout:.0f}s\n{self.log()[-3000:]}"
        )

    def wait_http(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                if path == "":
                    return
                scraper = Scraper(self.port, timeout=5)
                status = scraper.get(path)[1]
                scraper.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.name}: {path or 'port'} not answering in {timeout:.0f}s\n{self.log()[-3000:]}"
        )

    def _check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")

    def stop(self) -> None:
        self._stop.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        shape = WorldShape(
            projects=args.projects,
            instances_per_project=args.instances,
            volumes_per_project=args.volumes,
            containers_per_project=args.containers,
            buckets_per_project=args.buckets,
            clusters=args.clusters,
            nodepools=args.nodepools,
        )
        now = time.time()
        self.world = World(seed=args.seed, shape=shape, clock=lambda: now)  # frozen: same data every call
        self.sim = SimulatedOvh(self.world, port=0, latency=args.latency).start()
        self.rows: list[tuple[str, str, str]] = []
        self.cold_calls: Counter[str] = Counter()
        self.cold_routes: Counter[str] = Counter()  # the cold refresh's calls by route, all projects
        self.notes: list[str] = []

    # -- processes ---------------------------------------------------------------------------------

    def env(self, **collect: object) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_OVH_", "OTEL_EXPORTER_"))}
        env["OTEL_OVH_OVH__ENDPOINT"] = self.sim.url
        for key, value in self.sim.credentials.items():
            env[f"OTEL_OVH_OVH__{key.upper()}"] = value
        env["PYTHONPATH"] = str(ROOT)
        for key, setting in collect.items():
            env[f"OTEL_OVH_COLLECT__{key.upper()}"] = str(setting)
        return env

    @contextmanager
    def otel_ovh(self, name: str, tree: Path | None = None, **collect: object) -> Iterator[Child]:
        """otel-ovh of this checkout, settings in ``OTEL_OVH_*``; or, given ``tree`` (a directory holding an
        ``otel_ovh`` package), that tree's, run from it with the same settings in a file (``serve --config``,
        which every version reads alike)."""
        port = free_port()
        argv = [sys.executable, "-m", "otel_ovh", "serve"]
        if tree is None:
            env = self.env(**collect)
            env.update({"OTEL_OVH_PROMETHEUS__HOST": "127.0.0.1", "OTEL_OVH_PROMETHEUS__PORT": str(port)})
        else:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_OVH_", "OTEL_EXPORTER_"))}
            env["PYTHONPATH"] = str(tree)
            settings = {
                "ovh": {"endpoint": self.sim.url, **self.sim.credentials},
                "collect": collect,
                "prometheus": {"host": "127.0.0.1", "port": port},
            }
            config = self.workdir / f"{name}.yaml"
            config.write_text(json.dumps(settings, indent=2))  # JSON is YAML
            argv += ["--config", str(config)]
        child = Child(name, argv, env, port, self.workdir / f"{name}.log", cwd=tree or ROOT).start()
        try:
            yield child
        finally:
            child.stop()

    @contextmanager
    def baseline(self) -> Iterator[Child]:
        port = free_port()
        child = Child(
            "baseline",
            [sys.executable, "-m", "benchmarks.baseline", "--port", str(port)],
            self.env(),
            port,
            self.workdir / "baseline.log",
        ).start()
        try:
            child.wait_http("", 30)
            yield child
        finally:
            child.stop()

    def row(self, figure: str, value: str, target: str = "") -> None:
        self.rows.append((figure, value, target))

    # -- phases ------------------------------------------------------------------------------------

    def run(self) -> None:
        a = self.args
        mb = 1024 * 1024
        self.sim.latency = a.latency
        with self.otel_ovh(
            "otel-ovh", concurrency=a.concurrency, interval=1, max_calls_per_second=0
        ) as child:
            refresh = self.refresh_phase(child)
            rows = self.scrape_phase(child)
            hwm = child.vm_hwm()
        scrapes = {
            latency: (*percentiles(times), len(times), during) for latency, (times, during) in rows.items()
        }
        with self.otel_ovh(
            "otel-ovh-quiet", concurrency=a.concurrency, interval=3600, max_calls_per_second=0
        ) as q:
            self.sim.latency = a.scrape_latencies[0]
            q.wait_http("/readyz", 300)
            quiet_times, cpu_scrape = self.quiet_phase(q)
            hwm = max(hwm, q.vm_hwm())
        self.sim.latency = a.latency
        sequential, baseline = self.sequential_and_baseline_phase()
        ceiling = self.ceiling_phase() if a.ceiling > 0 else None

        ms = 1000.0
        cold_c, warm_c, cpu_refresh, calls, series = refresh
        self.row("series exported (OVH + self)", f"{series:,}")
        for latency, (p50, p99, count, during) in scrapes.items():
            self.row(
                f"/metrics latency, OVH {latency * ms:.0f} ms/call, {count} scrapes over {during} refreshes",
                f"p50 {p50 * ms:.1f} ms  p99 {p99 * ms:.1f} ms",
                "p99 < 50 ms",
            )
        q50, q99 = percentiles(quiet_times)
        self.row(
            "/metrics latency, idle process", f"p50 {q50 * ms:.1f} ms  p99 {q99 * ms:.1f} ms", "p99 < 50 ms"
        )
        if baseline:
            b50 = statistics.median(baseline)
            worst_p50 = max([q50, *(v[0] for v in scrapes.values())])
            self.row(f"baseline scrape latency, median of {len(baseline)}", f"{b50:.1f} s")
            self.row(
                "baseline median / otel-ovh median (worst row above)", f"{b50 / worst_p50:,.0f}×", "≥ 1000×"
            )
        self.row(
            f"refresh wall time, concurrency {a.concurrency}, cold / warm", f"{cold_c:.1f} s / {warm_c:.1f} s"
        )
        self.row("refresh wall time, concurrency 1 (sequential), cold", f"{sequential:.1f} s")
        self.row(
            f"sequential / concurrency {a.concurrency} (cold vs cold)", f"{sequential / cold_c:.1f}×", "≥ 6×"
        )
        self.row(
            "OVH calls per refresh per project, warm",
            span([sum(c.values()) for c in calls.values()]),
            "minimum for the families",
        )
        self.row("OVH calls per refresh per project, cold (once a day)", span(list(self.cold_calls.values())))
        if ceiling is not None:
            api_peak, api_mean, all_peak, seconds = ceiling
            self.row(
                f"ceiling {a.ceiling:g} calls/s, API calls: busiest 1 s / mean over {seconds:.0f} s",
                f"{api_peak} / {api_mean:.1f} calls/s",
                f"≤ {a.ceiling:g}",
            )
            self.row(
                "  same, with the /auth/time clock sync (1 per process, paced)",
                f"{all_peak} calls/s",
            )
        self.row("peak RSS of otel-ovh (VmHWM)", f"{hwm / mb:.0f} MB", "< 150 MB")
        self.row("CPU per refresh (warm, whole process)", f"{cpu_refresh:.2f} s")
        self.row("CPU per scrape of /metrics", f"{cpu_scrape * ms:.1f} ms")
        self.print_table(calls)

    def refresh_phase(self, child: Child) -> tuple[float, float, float, dict[str, Counter[str]], int]:
        cold = child.wait_refreshes(1, 900)[0]
        cpu = child.cpu()
        self.cold_calls = Counter(c.project for c in self.sim.calls if c.project)
        self.cold_routes = Counter(c.route for c in self.sim.calls if c.project)
        self.sim.reset_calls()  # calls are logged when answered, >= one latency after they start: none lost
        warm = child.wait_refreshes(2, 900)[1]
        cpu_refresh = child.cpu() - cpu
        calls: dict[str, Counter[str]] = defaultdict(Counter)
        for call in self.sim.calls:
            if call.project:
                calls[call.project][call.route] += 1
        scraper = Scraper(child.port)
        body = scraper.get("/metrics")[2]
        scraper.close()
        series = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
        return cold, warm, cpu_refresh, calls, series

    def scrape_phase(self, child: Child) -> dict[float, tuple[list[float], int]]:
        """Scrapes while the process refreshes back to back, at each OVH latency.

        A row lasts at least ``--scrapes`` scrapes and two completed refreshes (the second entirely at the
        row's latency), one scrape every ``--scrape-gap`` seconds, so that scrapes meet the refresher's
        publishes and renders instead of slipping between them. Each row: its scrape times and the number
        of refreshes they spanned.
        """
        result: dict[float, tuple[list[float], int]] = {}
        scraper = Scraper(child.port)
        for latency in sorted({self.args.latency, *self.args.scrape_latencies}):
            self.sim.latency = latency
            before = len(child.refreshes())
            times: list[float] = []
            while len(times) < self.args.scrapes or len(child.refreshes()) < before + 2:
                times.extend(self.scrape(scraper, 1))
                time.sleep(self.args.scrape_gap)
            result[latency] = (times, len(child.refreshes()) - before)
        scraper.close()
        return result

    def quiet_phase(self, child: Child) -> tuple[list[float], float]:
        """Scrape times of an idle process, and its CPU per scrape."""
        scraper = Scraper(child.port)
        self.scrape(scraper, 5)  # warm the connection and the self metrics
        cpu = child.cpu()
        times = self.scrape(scraper, self.args.scrapes)
        cpu_per_scrape = (child.cpu() - cpu) / len(times)
        scraper.close()
        return times, cpu_per_scrape

    def scrape(self, scraper: Scraper, count: int) -> list[float]:
        times = []
        for _ in range(count):
            seconds, status, body = scraper.get("/metrics")
            if status != 200 or not body.endswith(b"\n"):
                raise RuntimeError(f"bad scrape: HTTP {status}, {len(body)} bytes")
            times.append(seconds)
        return times

    def sequential_and_baseline_phase(self) -> tuple[float, list[float]]:
        baseline: list[float] = []

        def scrape_baseline() -> None:
            with self.baseline() as child:
                scraper = Scraper(child.port)
                for _ in range(self.args.baseline_scrapes):
                    seconds, status, _ = scraper.get("/metrics")
                    if status != 200:
                        raise RuntimeError(f"baseline scrape failed: HTTP {status}\n{child.log()[-2000:]}")
                    baseline.append(seconds)
                scraper.close()

        thread = threading.Thread(target=scrape_baseline, daemon=True)
        if self.args.baseline_scrapes:
            thread.start()
        with self.otel_ovh(
            "otel-ovh-sequential", concurrency=1, interval=3600, max_calls_per_second=0
        ) as child:
            sequential = child.wait_refreshes(1, 3600)[0]
        thread.join()
        if self.args.baseline_scrapes and len(baseline) < self.args.baseline_scrapes:
            raise RuntimeError("the baseline did not finish its scrapes")
        return sequential, baseline

    def ceiling_phase(self) -> tuple[int, float, int, float]:
        """OVH fast (5 ms) so that only the ceiling holds the rate; the simulator's own timestamps judge.

        Calls are placed at their start (answer time minus handling time): that is when the pacer let them
        go. The clock sync (``/auth/time``) is one paced call per process (``OvhApi._sync_clock``); the
        second figure counts it too.
        """
        self.sim.latency = 0.005
        self.sim.reset_calls()
        with self.otel_ovh(
            "otel-ovh-ceiling",
            concurrency=self.args.concurrency,
            interval=3600,
            max_calls_per_second=self.args.ceiling,
        ) as child:
            child.wait_http("", 60)
            time.sleep(self.args.ceiling_seconds)
        calls = self.sim.calls
        self.sim.latency = self.args.latency
        api = sorted(c.at - c.duration for c in calls if c.route != "/auth/time")
        every = sorted(c.at - c.duration for c in calls)
        seconds = api[-1] - api[0] if len(api) > 1 else 0.0
        mean = (len(api) - 1) / seconds if seconds else 0.0
        return max_in_window(api, 1.0), mean, max_in_window(every, 1.0), seconds

    # -- output ------------------------------------------------------------------------------------

    def print_table(self, calls: dict[str, Counter[str]]) -> None:
        a = self.args
        print(
            f"\notel-ovh benchmark — {a.projects} projects × ({a.instances} instances, {a.volumes} volumes, "
            f"{a.containers} containers, {a.buckets} buckets), OVH latency {a.latency * 1000:.0f} ms/call, "
            f"concurrency {a.concurrency}, {a.scrapes} scrapes per row"
        )
        print(f"machine: {machine()}")
        width = max(len(r[0]) for r in self.rows)
        vwidth = max(len(r[1]) for r in self.rows)
        print(f"\n{'figure':<{width}}  {'measured':<{vwidth}}  target")
        print(f"{'-' * width}  {'-' * vwidth}  {'-' * 24}")
        for figure, value, target in self.rows:
            print(f"{figure:<{width}}  {value:<{vwidth}}  {target}")
        # A warm refresh fetches only the families due (each at its own cadence: usage and the hourly
        # families wait for the next hour), so the cold refresh's column shows every family's routes.
        print(
            "\nOVH calls per project, of the cold refresh (every family) and of one warm refresh (the "
            "families due)\n(routes, with the family that makes them):"
        )
        routes: Counter[str] = Counter()
        for counter in calls.values():
            routes.update(counter)
        family_of = route_families()
        n = max(len(calls), 1)
        projects = max(len(self.cold_calls), 1)
        print("   cold   warm")
        for route in sorted(set(routes) | set(self.cold_routes)):
            cold, warm = self.cold_routes[route] / projects, routes[route] / n
            print(f"  {cold:5.2f}  {warm:5.2f}  {route}  ({family_of.get(route, '?')})")
        print(
            "  (not per project: /cloud/project, the project list, once per refresh; "
            "/order/catalog/public/cloud, the price list, once a day)"
        )
        for note in self.notes:
            print(note)


def route_families() -> dict[str, str]:
    """Route -> name of the family that calls it, from whichever registry this tree has.

    The registry of ``otel_ovh.families`` first, then the older ``otel_ovh.ovh.families`` table; a
    tree mid-refactor where neither imports or has routes gives {} (routes then print with "?").
    """
    for module_name in ("otel_ovh.families", "otel_ovh.ovh.families"):
        try:
            module = importlib.import_module(module_name)
        except Exception:  # any breakage there only costs the family names
            continue
        for attribute in ("FAMILIES", "REGISTRY", "families"):
            found = _routes_by_family(getattr(module, attribute, None))
            if found:
                return found
    return {}


def _routes_by_family(registry: object) -> dict[str, str]:
    """{route: family} from a mapping or sequence of objects with ``name`` and ``routes``."""
    families = registry.values() if isinstance(registry, Mapping) else registry
    if isinstance(families, str | bytes) or not isinstance(families, Iterable):
        return {}
    mapping: dict[str, str] = {}
    for family in families:
        name, routes = getattr(family, "name", None), getattr(family, "routes", None)
        if isinstance(name, str) and isinstance(routes, (list, tuple, frozenset)):
            for route in routes:
                mapping.setdefault(str(route), name)
    return mapping


def span(values: Sequence[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}–{high}"


def percentiles(values: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]
    return statistics.median(ordered), p99


def max_in_window(stamps: Sequence[float], window: float) -> int:
    """The most timestamps in any window of that length (two pointers over sorted stamps)."""
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def machine() -> str:
    model = ""
    with suppress(OSError):
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    memory = psutil.virtual_memory().total / 1024**3
    return (
        f"{os.cpu_count()} CPU ({model or platform.processor()}), {memory:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; load avg {load}"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small world, fast OVH, few scrapes (~30 s)")
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--instances", type=int, default=30, help="per project")
    parser.add_argument("--volumes", type=int, default=20, help="per project")
    parser.add_argument("--containers", type=int, default=4, help="Swift containers per project")
    parser.add_argument("--buckets", type=int, default=10, help="S3 buckets per project")
    parser.add_argument(
        "--clusters", type=int, help="Kubernetes clusters per even project (default: one or two, drawn)"
    )
    parser.add_argument("--nodepools", type=int, help="nodepools per cluster (default: one or two, drawn)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per OVH call (refresh figures)")
    parser.add_argument(
        "--scrape-latencies",
        type=_floats,
        default=[0.02, 0.5],
        help="OVH latencies (s, comma-separated) at which scrape latency is shown",
    )
    parser.add_argument("--scrapes", type=int, default=200, help="scrapes per latency row (at least)")
    parser.add_argument("--scrape-gap", type=float, default=0.1, help="seconds between scrapes under refresh")
    parser.add_argument("--baseline-scrapes", type=int, default=3, help="baseline scrapes (each is slow)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ceiling", type=float, default=20.0, help="collect.max_calls_per_second (0: skip)")
    parser.add_argument(
        "--ceiling-seconds", type=float, default=15.0, help="how long the ceiling is observed"
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--against",
        metavar="REV",
        help="git revision to compare with the working tree (phases 1-3 of both, interleaved, one table)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="with --against: runs of each version (order alternates)"
    )
    parser.add_argument(
        "--attacks", action="store_true", help="the good scraper under each attack (benchmarks/attacks.py)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.projects, args.instances, args.volumes, args.containers, args.buckets = 4, 5, 4, 2, 3
        args.latency, args.scrape_latencies, args.scrapes = 0.02, [0.005, 0.05], 20
        args.baseline_scrapes, args.ceiling_seconds = 1, 3.0
    return args


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None, run: Callable[[Bench], None] = Bench.run) -> int:
    args = parse_args(argv)
    if args.attacks:
        from benchmarks.attacks import main as attacks

        return attacks(["--against", args.against] if args.against else [])
    with tempfile.TemporaryDirectory(prefix="otel-ovh-bench-") as tmp:
        bench = Bench(args, Path(tmp))
        try:
            if args.against:
                from benchmarks.compare import compare

                compare(bench, args.against)
            else:
                run(bench)
        finally:
            bench.sim.stop()
    return 0


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C: processes stopped, temporary trees removed


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    sys.exit(main())
