"""The scaling table: series, first data, memory, scrape tail, refresh CPU and the OTLP push, by world size.

    python -m benchmarks.scale                          # 10, 50, 100, 200 projects and ~100,000 series
    python -m benchmarks.scale --sizes 10,50 --no-drift # a quick look
    python -m benchmarks.scale --against HEAD~3         # that revision and the working tree, interleaved

OVH answers at once (``--latency`` 0): what is measured is otel-ovh's own work. The simulator runs in a
process of its own (``benchmarks/scale_sim.py``), and so does each otel-ovh (``python -m otel_ovh serve``),
so the memory and CPU printed are otel-ovh's alone and the scrapes timed here wait for no simulator.
Per size, two processes:

1. Prometheus: refreshing back to back (``collect.interval`` 1 s). First data is the time from the
   process's start to ``/readyz`` answering 200 (set once the first refresh is published and its
   exposition rendered). The exposition is then checked whole: no ``otel_metric_overflow``, every project
   of the world present. Refresh CPU is the process's CPU over its second (warm) refresh, scrapes
   under refresh are sequential gzip scrapes while it keeps refreshing; peak RSS is ``VmHWM``.
2. Prometheus and OTLP: one refresh, then the push over gRPC to a receiver in this process that, like
   the Collector, refuses messages over 4 MiB, then idle scrapes (right after an export: no refresh due
   and the next export an interval away). Push time is the span from the first to the last message of
   one export of the inventory; the peak is that process's ``VmHWM``.

At the size given by ``--drift-projects`` (default: the 100,000-series point) the Prometheus process
goes on to ``--drift-refreshes`` refreshes, its RSS read after each, to show that memory stays flat.
The memory per series is a least-squares line through the peaks: a constant plus a slope.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench import ROOT, Child, Scraper, free_port, machine, percentiles

MB = 1024 * 1024
GRPC_LIMIT = 4 * MB  # the Collector's default max_recv_msg_size_mib
_ACCOUNT = re.compile(rb'cloud_account_id="([0-9a-f]{32})"')


@dataclass
class Push:
    """One OTLP message as the receiver saw it."""

    at: float
    size: int
    points: int
    inventory: bool  # it carries OVH series (not only the exporter's own)


class Receiver:
    """An OTLP/gRPC metrics endpoint with the Collector's message limit; keeps sizes and times only."""

    def __init__(self) -> None:
        import grpc
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc

        receiver = self

        class Service(metrics_service_pb2_grpc.MetricsServiceServicer):  # type: ignore[misc]
            def Export(self, request: object, context: object) -> object:  # gRPC's name
                receiver.record(request)
                return metrics_service_pb2.ExportMetricsServiceResponse()

        self.pushes: list[Push] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4),
            options=[("grpc.max_receive_message_length", GRPC_LIMIT)],
        )
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Service(), self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    def record(self, request: object) -> None:
        size = request.ByteSize()  # type: ignore[attr-defined]
        points, inventory = 0, False
        for rm in request.resource_metrics:  # type: ignore[attr-defined]
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    points += len(getattr(metric, kind).data_points) if kind else 0
                    inventory = inventory or metric.name.startswith("ovh.")
        with self._lock:
            self.pushes.append(Push(time.monotonic(), size, points, inventory))

    def exports(self, gap: float) -> list[list[Push]]:
        """The inventory messages grouped into exports (an export's messages follow each other closely)."""
        with self._lock:
            pushes = [p for p in self.pushes if p.inventory]
        groups: list[list[Push]] = []
        for push in pushes:
            if groups and push.at - groups[-1][-1].at < gap:
                groups[-1].append(push)
            else:
                groups.append([push])
        return groups

    def stop(self) -> None:
        self._server.stop(0)


@dataclass(frozen=True)
class SimWorld:
    url: str
    credentials: dict[str, str]
    project_ids: list[str]


@dataclass
class Figures:
    projects: int
    series: int = 0
    overflow: int = 0
    missing_projects: int = 0
    first_data: float = 0.0
    peak_rss: int = 0
    steady_rss: int = 0
    scrapes: list[float] = field(default_factory=list)
    idle_scrapes: list[float] = field(default_factory=list)
    refresh_wall: float = 0.0
    refresh_cpu: float = 0.0
    push_time: float = 0.0
    push_points: int = 0
    push_messages: int = 0
    push_largest: int = 0
    push_peak_rss: int = 0
    drift: list[int] = field(default_factory=list)  # RSS after each refresh


class Scale:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.receiver = Receiver()

    @contextmanager
    def world(self, projects: int) -> Iterator[SimWorld]:
        """The simulated OVH API in a process of its own (``benchmarks/scale_sim.py``)."""
        a = self.args
        shape = [projects, a.instances, a.volumes, a.containers, a.buckets, a.seed]
        argv = [sys.executable, "-m", "benchmarks.scale_sim", *map(str, shape), str(a.latency)]
        process = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the simulator did not start")
            found = json.loads(line)
            yield SimWorld(found["url"], found["credentials"], found["projects"])
        finally:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def serve(self, sim: SimWorld, name: str, tree: Path | None, settings: dict[str, object]) -> Child:
        """``python -m otel_ovh serve --config FILE`` of ``tree`` (default: this checkout)."""
        port = free_port()
        base = {
            "ovh": {"endpoint": sim.url, **sim.credentials},
            "prometheus": {"host": "127.0.0.1", "port": port},
        }
        for section, values in settings.items():
            base[section] = {**base.get(section, {}), **values}  # type: ignore[dict-item]
        config = self.workdir / f"{name}.yaml"
        config.write_text(json.dumps(base, indent=2))  # JSON is YAML
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_OVH_", "OTEL_EXPORTER_"))}
        env["PYTHONPATH"] = str(tree or ROOT)
        argv = [sys.executable, "-m", "otel_ovh", "serve", "--config", str(config)]
        return Child(name, argv, env, port, self.workdir / f"{name}.log", cwd=tree or ROOT).start()

    def measure(self, projects: int, tree: Path | None = None, tag: str = "") -> Figures:
        figures = Figures(projects)
        drift = self.args.drift_refreshes if projects == self.args.drift_projects else 0
        with self.world(projects) as sim:
            self.prometheus_phase(sim, figures, tree, tag, drift)
            self.otlp_phase(sim, figures, tree, tag)
        return figures

    def prometheus_phase(self, sim: SimWorld, f: Figures, tree: Path | None, tag: str, drift: int) -> None:
        a = self.args
        collect = {"interval": 1, "max_calls_per_second": 0, "concurrency": a.concurrency}
        started = time.monotonic()
        child = self.serve(sim, f"prometheus-{f.projects}{tag}", tree, {"collect": collect})
        try:
            wait_ready(child, started, 900)
            f.first_data = time.monotonic() - started
            scraper = Scraper(child.port)
            body = scraper.get("/metrics")[2]
            lines = [line for line in body.split(b"\n") if line and not line.startswith(b"#")]
            f.series = len(lines)
            f.overflow = sum(1 for line in lines if b"otel_metric_overflow" in line)
            f.missing_projects = len(set(sim.project_ids) - {m.decode() for m in _ACCOUNT.findall(body)})
            done = len(child.wait_refreshes(1, 900))
            cpu = child.cpu()
            f.refresh_wall = child.wait_refreshes(done + 1, 900)[done]
            f.refresh_cpu = child.cpu() - cpu
            while len(f.scrapes) < a.scrapes:
                f.scrapes.append(scraper.get("/metrics")[0])
                time.sleep(a.scrape_gap)
            scraper.close()
            count = len(child.refreshes())
            while count < drift:
                count = len(child.wait_refreshes(count + 1, 900))
                f.drift.append(rss(child))
            f.steady_rss = rss(child)
            f.peak_rss = child.vm_hwm()
        finally:
            child.stop()

    def otlp_phase(self, sim: SimWorld, f: Figures, tree: Path | None, tag: str) -> None:
        """Both readers on, refreshing once: scrapes of an idle process, then the export of the inventory,
        in messages under the gRPC limit."""
        interval = self.args.otlp_interval
        before = len(self.receiver.exports(gap=interval / 2))
        settings = {
            "collect": {"interval": 3600, "max_calls_per_second": 0, "concurrency": self.args.concurrency},
            "otlp": {
                "enabled": True,
                "protocol": "grpc",
                "endpoint": f"http://127.0.0.1:{self.receiver.port}",
                "interval": interval,
            },
        }
        refused = self.receiver.refused
        child = self.serve(sim, f"otlp-{f.projects}{tag}", tree, settings)
        try:
            wait_ready(child, time.monotonic(), 900)
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                exports = self.receiver.exports(gap=interval / 2)[before:]
                whole = [e for e in exports if sum(p.points for p in e) >= f.series * 0.9]
                # The second one (the first may have met the refresh), once its last message is a second
                # old: the export is over, so its time is whole and the scrapes below meet none of it.
                if len(whole) >= 2 and time.monotonic() - whole[1][-1].at > 1.0:
                    last = whole[1]
                    f.push_time = last[-1].at - last[0].at
                    f.push_points = sum(p.points for p in last)
                    f.push_messages = len(last)
                    f.push_largest = max(p.size for p in last)
                    break
                child._check_alive()
                time.sleep(0.2)
            else:
                raise RuntimeError(f"no whole OTLP export in 900 s\n{child.log()[-3000:]}")
            # Idle: right after an export, the next one an interval away and no refresh due.
            scraper = Scraper(child.port)
            f.idle_scrapes = [scraper.get("/metrics")[0] for _ in range(self.args.scrapes)]
            scraper.close()
            f.push_peak_rss = child.vm_hwm()
        finally:
            child.stop()
        if "StatusCode.RESOURCE_EXHAUSTED" in child.log() or self.receiver.refused > refused:
            f.push_largest = GRPC_LIMIT + 1  # a message was refused: over the limit


def wait_ready(child: Child, started: float, timeout: float) -> None:
    import http.client

    while time.monotonic() - started < timeout:
        child._check_alive()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", child.port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"not ready in {timeout:.0f} s\n{child.log()[-3000:]}")


def rss(child: Child) -> int:
    assert child.process is not None
    status = Path(f"/proc/{child.process.pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) * 1024 if match else 0


def fit(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least squares ``y = a + b x``."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(points) < 2 or len(set(xs)) < 2:
        return (ys[0] if ys else 0.0), 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


# -- output ------------------------------------------------------------------------------------------


def cells(f: Figures) -> list[str]:
    p50, p99 = percentiles(f.scrapes) if f.scrapes else (0.0, 0.0)
    i50, i99 = percentiles(f.idle_scrapes) if f.idle_scrapes else (0.0, 0.0)
    over = f.push_largest > GRPC_LIMIT
    whole = "yes"
    if f.overflow or f.missing_projects:
        whole = f"NO ({f.overflow} overflow, {f.missing_projects} projects missing)"
    return [
        f"{f.projects}",
        f"{f.series:,}",
        f"{f.first_data:.1f} s",
        f"{f.peak_rss / MB:.0f} MB",
        f"{f.steady_rss / MB:.0f} MB",
        f"{p50 * 1000:.1f} / {p99 * 1000:.1f} ms",
        f"{i50 * 1000:.1f} / {i99 * 1000:.1f} ms",
        f"{f.refresh_wall:.1f} s / {f.refresh_cpu:.1f} s",
        f"{f.push_time:.1f} s",
        f"{f.push_messages} ({'OVER 4 MiB' if over else f'{f.push_largest / MB:.2f} MiB'})",
        f"{f.push_peak_rss / MB:.0f} MB",
        whole,
    ]


HEADERS = [
    "projects", "series", "first data", "peak RSS", "RSS after", "scrape p50/p99 refreshing", "idle",
    "refresh wall / CPU", "OTLP push", "messages (largest)", "peak RSS, + OTLP", "whole",
]  # fmt: skip


def print_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def print_scaling(args: argparse.Namespace, results: Sequence[Figures]) -> None:
    print(
        f"\notel-ovh scaling — projects × ({args.instances} instances, {args.volumes} volumes, "
        f"{args.containers} containers, {args.buckets} buckets), every family on, OVH latency "
        f"{args.latency * 1000:.0f} ms/call, concurrency {args.concurrency}, "
        f"{args.scrapes} scrapes under refresh"
    )
    print(f"machine: {machine()}\n")
    print_table([cells(f) for f in results], HEADERS)
    print(
        "\n(first data: start to /readyz; peak RSS: VmHWM; RSS after: VmRSS once the scrapes are done; "
        "scrapes: gzip, while refreshing back to back, and idle (in the second process); refresh: the "
        "second, warm one; second process: Prometheus and OTLP on, one refresh, one whole export timed)"
    )
    for label, get in (
        ("peak RSS", lambda f: f.peak_rss),
        ("RSS after", lambda f: f.steady_rss),
        ("peak RSS, Prometheus + OTLP", lambda f: f.push_peak_rss),
    ):
        constant, slope = fit([(f.series, get(f)) for f in results])
        print(f"memory per series, {label}: {constant / MB:.0f} MB + {slope / 1024:.2f} KB × series")
    for f in results:
        if f.drift:
            print_drift(f)


def print_drift(f: Figures) -> None:
    samples = f.drift
    warm = min(4, len(samples) - 1)
    marks = sorted({warm, *(i for i in (9, 24, 49, 99, len(samples) - 1) if i < len(samples))})
    shown = ", ".join(f"{i + 2}: {samples[i] / MB:.0f} MB" for i in marks)
    print(
        f"\nsteady memory, {f.projects} projects ({f.series:,} series), RSS after refresh n — {shown}\n"
        f"drift from refresh {warm + 2} to {len(samples) + 1}: {(samples[-1] - samples[warm]) / MB:+.1f} MB; "
        f"range {min(samples[warm:]) / MB:.0f}–{max(samples[warm:]) / MB:.0f} MB"
    )


def series_per_project(f: Figures) -> float:
    return max(1.0, f.series / max(1, f.projects))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,100,200", help="project counts, comma-separated")
    parser.add_argument(
        "--series-target", type=int, default=100_000, help="add the size of about this many series (0: none)"
    )
    parser.add_argument("--instances", type=int, default=30, help="per project")
    parser.add_argument("--volumes", type=int, default=20, help="per project")
    parser.add_argument("--containers", type=int, default=4, help="Swift containers per project")
    parser.add_argument("--buckets", type=int, default=10, help="S3 buckets per project")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per OVH call")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--scrapes", type=int, default=200, help="scrapes under refresh, per size")
    parser.add_argument("--scrape-gap", type=float, default=0.05, help="seconds between those scrapes")
    parser.add_argument("--otlp-interval", type=float, default=10.0, help="otlp.interval of the push phase")
    parser.add_argument(
        "--drift-projects", type=int, default=0, help="size whose memory is followed (0: the target's)"
    )
    parser.add_argument("--drift-refreshes", type=int, default=100, help="refreshes it is followed over")
    parser.add_argument("--no-drift", action="store_true", help="skip the steady-memory run")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="with --against: runs of each version per size")
    parser.add_argument(
        "--against", metavar="REV", help="git revision measured too, interleaved with the tree, size by size"
    )
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.no_drift:
        args.drift_refreshes = 0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="otel-ovh-scale-") as tmp:
        scale = Scale(args, Path(tmp))
        try:
            if args.against:
                from benchmarks.scale_compare import compare

                compare(scale, args.against)
                return 0
            results = run_sizes(scale, scale.measure)
            print_scaling(args, results)
        finally:
            scale.receiver.stop()
    return 0


def run_sizes(scale: Scale, measure: object) -> list[Figures]:
    """Every size, smallest first; the target size is placed from the series per project of the first."""
    args = scale.args
    results: list[Figures] = []
    sizes = sorted(args.sizes)
    started = time.monotonic()
    while sizes:
        projects = sizes.pop(0)
        print(f"[{time.monotonic() - started:5.0f} s] {projects} projects", file=sys.stderr, flush=True)
        results.append(measure(projects))  # type: ignore[operator]
        if args.series_target and len(results) == 1:
            target = math.ceil(args.series_target / series_per_project(results[0]))
            if args.drift_projects == 0:
                args.drift_projects = target
            if target not in sizes and target != projects:
                sizes = sorted([*sizes, target])
    return sorted(results, key=lambda f: f.projects)


if __name__ == "__main__":
    sys.exit(main())
