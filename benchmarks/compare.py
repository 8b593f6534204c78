"""Two versions of otel-ovh side by side, in one run, against the same simulated world.

    python -m benchmarks.bench --against HEAD~5          # that commit and the working tree
    python -m benchmarks.bench --quick --against HEAD    # nothing changed: the table shows the noise

REV is unpacked (``git archive``) into the run's temporary directory, and the working tree's ``otel_ovh/``
is copied beside it when the run starts, so that every round runs the same code even if someone edits the
tree meanwhile. Both run on this interpreter and its installed dependencies, as ``python -m otel_ovh serve
--config FILE`` started in their own directory (cwd and ``PYTHONPATH``), against this process's simulator.

Phases 1-3 of ``bench.py`` run for each version: a process refreshing back to back (cold then warm refresh,
then scrapes under refresh at each OVH latency), then an idle one (scrapes, CPU per scrape). The versions
take turns phase by phase and the order flips at every phase (A B, B A; next round B A, A B), so that a
noisy minute, a warm page cache or a first-start cost falls on both. Scrape percentiles pool the scrapes
of every round; the other figures are the median of the rounds, with the range of the rounds in brackets.
The baseline, sequential and ceiling phases are left out: they compare nothing between versions.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench import ROOT, Bench, machine, percentiles, route_families, span

MB = 1024 * 1024


@dataclass(frozen=True)
class Version:
    label: str  # its column header
    key: str  # in the names of its logs
    path: Path  # the directory holding its otel_ovh package
    detail: str  # what it is, for the header


@dataclass
class Run:
    """One version's figures from one round."""

    cold: float = 0.0
    warm: float = 0.0
    cpu_refresh: float = 0.0
    calls: dict[str, Counter[str]] = field(default_factory=dict)  # warm refresh: project -> route -> n
    cold_calls: Counter[str] = field(default_factory=Counter)  # cold refresh: project -> n
    series: int = 0
    scrapes: dict[float, tuple[list[float], int]] = field(default_factory=dict)  # latency -> times, refreshes
    idle: list[float] = field(default_factory=list)
    cpu_scrape: float = 0.0
    hwm: int = 0


Phase = Callable[[Bench, Version, Run, str], None]


def compare(bench: Bench, rev: str) -> None:
    a = bench.args
    if a.rounds < 1:
        raise SystemExit("--rounds must be at least 1")
    old = unpack_revision(rev, bench.workdir / "rev")
    new = snapshot_working_tree(bench.workdir / "tree")
    for version in (old, new):
        prepare(version)
    runs: dict[str, list[Run]] = {old.key: [], new.key: []}
    started = time.monotonic()
    phases: tuple[tuple[str, Phase], ...] = (
        ("refresh + scrapes under refresh", refresh_and_scrapes),
        ("idle scrapes", idle_scrapes),
    )
    for round_ in range(a.rounds):
        results = {old.key: Run(), new.key: Run()}
        for index, (what, phase) in enumerate(phases):
            order = (old, new) if (round_ + index) % 2 == 0 else (new, old)
            for version in order:
                progress(started, f"round {round_ + 1}/{a.rounds}: {what}, {version.label}")
                phase(bench, version, results[version.key], f"{version.key}-{round_ + 1}")
        for key, run in results.items():
            runs[key].append(run)
    progress(started, "done")
    print_comparison(bench, old, new, runs[old.key], runs[new.key])


def progress(started: float, message: str) -> None:
    print(f"[{time.monotonic() - started:5.0f} s] {message}", file=sys.stderr, flush=True)


# -- the two trees -----------------------------------------------------------------------------------


def git(*args: str) -> str:
    result = subprocess.run(
        ["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def unpack_revision(rev: str, dest: Path) -> Version:
    """REV's files (``git archive``: no worktree to register or prune), under ``dest``."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    dest.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=ROOT, stdout=subprocess.PIPE)
    assert archive.stdout is not None
    untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=False)
    archive.stdout.close()
    if archive.wait() != 0 or untar.returncode != 0:
        raise RuntimeError(f"could not unpack {rev} ({commit[:12]}) into {dest}")
    subject = git("log", "-1", "--format=%s", commit)
    return Version(rev, "rev", package_root(dest, rev), f"{commit[:12]} {subject}")


def snapshot_working_tree(dest: Path) -> Version:
    source = package_root(ROOT, "the working tree")
    shutil.copytree(
        source / "otel_ovh", dest / "otel_ovh", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    head = git("rev-parse", "--short=12", "HEAD")
    changed = git("status", "--porcelain", "--", str(source / "otel_ovh"))
    state = "with uncommitted changes to otel_ovh/" if changed else "no uncommitted change to otel_ovh/"
    return Version("working tree", "tree", dest, f"{ROOT} at {head}, {state}; copied at start")


def package_root(tree: Path, what: str) -> Path:
    for root in (tree, tree / "src"):
        if (root / "otel_ovh" / "__init__.py").is_file():
            return root
    raise RuntimeError(f"{what}: no otel_ovh package in {tree}")


def prepare(version: Version) -> None:
    """Byte-compile the tree (so that no first start pays for it) and check that it imports from there."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(version.path / "otel_ovh")],
        capture_output=True,
        check=False,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_OVH_", "OTEL_EXPORTER_"))}
    env["PYTHONPATH"] = str(version.path)
    result = subprocess.run(
        [sys.executable, "-c", "import otel_ovh.cli, otel_ovh; print(otel_ovh.__file__)"],
        cwd=version.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{version.label}: otel_ovh does not import:\n{result.stderr[-3000:]}")
    imported = Path(result.stdout.strip()).resolve()
    if not imported.is_relative_to(version.path.resolve()):
        raise RuntimeError(f"{version.label}: otel_ovh imported from {imported}, not from {version.path}")


# -- phases --------------------------------------------------------------------------------------------


def settle(bench: Bench) -> None:
    """Calls still in flight when the previous process stopped are logged when answered, within one
    latency: wait that out, then clear the log, so that the cold refresh counts this process's calls only."""
    time.sleep(max([bench.args.latency, *bench.args.scrape_latencies]) + 0.2)
    bench.sim.reset_calls()


def refresh_and_scrapes(bench: Bench, version: Version, run: Run, tag: str) -> None:
    """Phases 1 and 2 of ``bench.py``, in one process."""
    a = bench.args
    settle(bench)
    bench.sim.latency = a.latency
    with bench.otel_ovh(
        f"otel-ovh-{tag}", tree=version.path, concurrency=a.concurrency, interval=1, max_calls_per_second=0
    ) as child:
        run.cold, run.warm, run.cpu_refresh, run.calls, run.series = bench.refresh_phase(child)
        run.cold_calls = bench.cold_calls
        run.scrapes = bench.scrape_phase(child)
        run.hwm = max(run.hwm, child.vm_hwm())
    bench.sim.latency = a.latency


def idle_scrapes(bench: Bench, version: Version, run: Run, tag: str) -> None:
    """Phase 3 of ``bench.py``: a process that refreshed once and idles."""
    a = bench.args
    settle(bench)
    bench.sim.latency = a.scrape_latencies[0]
    with bench.otel_ovh(
        f"otel-ovh-idle-{tag}",
        tree=version.path,
        concurrency=a.concurrency,
        interval=3600,
        max_calls_per_second=0,
    ) as child:
        child.wait_http("/readyz", 300)
        run.idle, run.cpu_scrape = bench.quiet_phase(child)
        run.hwm = max(run.hwm, child.vm_hwm())
    bench.sim.latency = a.latency


# -- the table -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    scale: float
    digits: int
    name: str

    def number(self, value: float) -> str:
        return f"{value * self.scale:,.{self.digits}f}"

    def cell(self, central: float, rounds: Sequence[float]) -> str:
        """The figure, and the range of the rounds when there are several and they differ."""
        text = f"{self.number(central)} {self.name}".rstrip()
        low, high = self.number(min(rounds)), self.number(max(rounds))
        return text + (f" ({low}–{high})" if len(rounds) > 1 and low != high else "")


MS, SECONDS, MEGABYTES, COUNT = Unit(1000, 1, "ms"), Unit(1, 2, "s"), Unit(1 / MB, 1, "MB"), Unit(1, 0, "")
WALL = Unit(1, 1, "s")  # as precise as the refresh lines of the log that it is read from


def change(before: float, after: float, rounds_before: Sequence[float], rounds_after: Sequence[float]) -> str:
    """Relative change of the working tree against REV; "within spread" when the rounds' ranges overlap."""
    if before == after:
        return "same"
    if before == 0:
        return "n/a (REV 0)"
    text = f"{(after - before) / before * 100:+.1f} %"
    overlap = max(min(rounds_before), min(rounds_after)) <= min(max(rounds_before), max(rounds_after))
    if len(rounds_before) > 1 and len(rounds_after) > 1 and overlap:
        text += " (within spread)"
    return text


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def median(self, figure: str, unit: Unit, before: Sequence[float], after: Sequence[float]) -> None:
        self.pooled(figure, unit, statistics.median(before), before, statistics.median(after), after)

    def pooled(
        self,
        figure: str,
        unit: Unit,
        before: float,
        rounds_before: Sequence[float],
        after: float,
        rounds_after: Sequence[float],
    ) -> None:
        self.rows.append(
            (
                figure,
                unit.cell(before, rounds_before),
                unit.cell(after, rounds_after),
                change(before, after, rounds_before, rounds_after),
            )
        )

    def text(self, figure: str, before: str, after: str, difference: str) -> None:
        self.rows.append((figure, before, after, difference))

    def print(self, headers: tuple[str, str, str, str]) -> None:
        widths = [max(len(row[i]) for row in [headers, *self.rows]) for i in range(4)]
        print("  ".join(f"{h:<{w}}" for h, w in zip(headers, widths, strict=True)).rstrip())
        print("  ".join("-" * w for w in widths))
        for row in self.rows:
            print("  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)).rstrip())


def calls_per_project(runs: Sequence[Run]) -> tuple[list[int], list[int]]:
    """Each project's OVH calls in a warm and in a cold refresh, over all rounds."""
    warm = [sum(counter.values()) for run in runs for counter in run.calls.values()]
    cold = [count for run in runs for count in run.cold_calls.values()]
    return warm, cold


def count_change(before: Sequence[int], after: Sequence[int]) -> str:
    if sorted(before) == sorted(after):
        return "same"
    if not before or not after:
        return "-"
    return f"{statistics.mean(after) - statistics.mean(before):+.2f} on average"


def print_comparison(bench: Bench, old: Version, new: Version, before: list[Run], after: list[Run]) -> None:
    a = bench.args

    def both(get: Callable[[Run], float]) -> tuple[list[float], list[float]]:
        return [get(r) for r in before], [get(r) for r in after]

    def percentile_rows(figure: str, times: Callable[[Run], list[float]]) -> None:
        for which, name in ((0, "p50"), (1, "p99")):
            rounds = [[percentiles(times(r))[which] for r in runs] for runs in (before, after)]
            pooled = [percentiles([t for r in runs for t in times(r)])[which] for runs in (before, after)]
            table.pooled(figure.format(name), MS, pooled[0], rounds[0], pooled[1], rounds[1])

    table = Table()
    series = both(lambda r: r.series)
    cells = [COUNT.cell(statistics.median(values), values) for values in series]
    table.text("series exported (OVH + self)", *cells, count_change(*series))
    (warm_b, cold_b), (warm_a, cold_a) = calls_per_project(before), calls_per_project(after)
    for name, b, c in (("warm", warm_b, warm_a), ("cold", cold_b, cold_a)):
        table.text(f"OVH calls per project per refresh, {name}", span(b), span(c), count_change(b, c))
    table.median(f"refresh wall time, concurrency {a.concurrency}, cold", WALL, *both(lambda r: r.cold))
    table.median("refresh wall time, warm", WALL, *both(lambda r: r.warm))
    table.median("CPU per refresh (warm, whole process)", SECONDS, *both(lambda r: r.cpu_refresh))
    for latency in sorted(before[0].scrapes):
        percentile_rows(
            f"scrape {{}} under refresh, OVH {latency * 1000:g} ms/call",
            lambda r, latency=latency: r.scrapes[latency][0],
        )
    percentile_rows("scrape {}, idle process", lambda r: r.idle)
    table.median("CPU per scrape of /metrics (idle)", Unit(1000, 2, "ms"), *both(lambda r: r.cpu_scrape))
    table.median("peak RSS (VmHWM, higher of the 2 processes)", MEGABYTES, *both(lambda r: r.hwm))

    print(
        f"\notel-ovh benchmark, two versions — {a.projects} projects × ({a.instances} instances, "
        f"{a.volumes} volumes, {a.containers} containers, {a.buckets} buckets), OVH latency "
        f"{a.latency * 1000:g} ms/call, concurrency {a.concurrency}, {a.scrapes} scrapes per row; "
        f"{a.rounds} round(s), the versions alternating phase by phase"
    )
    print(f"{old.label}: {old.detail}")
    print(f"working tree: {new.detail}")
    print(f"machine: {machine()}\n")
    table.print(("figure", old.label, new.label, "change"))
    print(
        "\n(medians of the rounds, their range in brackets; scrape percentiles over the scrapes of all "
        "rounds; change = working tree against REV)"
    )
    print("scrapes under refresh, all rounds (REV / working tree):")
    for latency in sorted(before[0].scrapes):
        counts = [sum(len(r.scrapes[latency][0]) for r in runs) for runs in (before, after)]
        spans = [sum(r.scrapes[latency][1] for r in runs) for runs in (before, after)]
        print(
            f"  OVH {latency * 1000:g} ms/call: {counts[0]} / {counts[1]} scrapes "
            f"over {spans[0]} / {spans[1]} refreshes"
        )
    print_routes(before, after)


def print_routes(before: list[Run], after: list[Run]) -> None:
    family_of = route_families()
    per_project = []
    for runs in (before, after):
        routes: Counter[str] = Counter()
        for run in runs:
            for counter in run.calls.values():
                routes.update(counter)
        projects = max(sum(len(run.calls) for run in runs), 1)
        per_project.append({route: count / projects for route, count in routes.items()})
    print("\nOVH calls of one warm refresh, per project (REV / working tree; routes, with their family):")
    for route in sorted(set(per_project[0]) | set(per_project[1])):
        counts = "  ".join(f"{shares.get(route, 0.0):5.2f}" for shares in per_project)
        print(f"  {counts}  {route}  ({family_of.get(route, '?')})")
    print("  (once per refresh, not per project: /cloud/project, the project list)")
