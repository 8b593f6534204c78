"""The scaling table of two versions, interleaved: ``python -m benchmarks.scale --against REV``.

REV is unpacked and the working tree's ``otel_ovh/`` copied at the start, as ``bench.py --against`` does
(``benchmarks/compare.py``). At each size both versions run against the same simulated world, one after
the other, the order flipping from size to size (and round to round, ``--rounds``), so that a noisy
minute falls on both. One table per figure: the sizes down, REV and the working tree across, and the
change; with more than one round, medians with the range of the rounds in brackets.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence

from benchmarks.bench import percentiles
from benchmarks.compare import prepare, snapshot_working_tree, unpack_revision
from benchmarks.scale import MB, Figures, Scale, print_table, series_per_project


def compare(scale: Scale, rev: str) -> None:
    args = scale.args
    old = unpack_revision(rev, scale.workdir / "rev")
    new = snapshot_working_tree(scale.workdir / "tree")
    for version in (old, new):
        prepare(version)
    sizes = sorted(args.sizes)
    results: dict[int, dict[str, list[Figures]]] = {}
    started = time.monotonic()
    turn = 0
    while sizes:
        projects = sizes.pop(0)
        runs: dict[str, list[Figures]] = {old.key: [], new.key: []}
        for round_ in range(args.rounds):
            order = (old, new) if (turn + round_) % 2 == 0 else (new, old)
            for version in order:
                elapsed = time.monotonic() - started
                print(
                    f"[{elapsed:5.0f} s] {projects} projects, round {round_ + 1}, {version.label}",
                    file=sys.stderr,
                    flush=True,
                )
                runs[version.key].append(scale.measure(projects, version.path, f"-{version.key}-{round_}"))
        turn += 1
        results[projects] = runs
        if args.series_target and len(results) == 1:
            target = round(args.series_target / series_per_project(runs[new.key][0]))
            if target not in sizes and target != projects:
                sizes = sorted([*sizes, target])
    print(f"\notel-ovh scaling, two versions — {rev}: {old.detail}\nworking tree: {new.detail}")
    print(f"(OVH latency {args.latency * 1000:.0f} ms/call; {args.rounds} round(s), order alternating)\n")
    rows: list[list[str]] = []
    for projects, runs in sorted(results.items()):
        before, after = runs[old.key], runs[new.key]
        for figure, get, unit in FIGURES:
            b, a = [get(f) for f in before], [get(f) for f in after]
            rows.append([str(projects), figure, cell(b, unit), cell(a, unit), change(b, a)])
    print_table(rows, ["projects", "figure", rev, "working tree", "change"])


def _p99(f: Figures) -> float:
    return percentiles(f.scrapes)[1] * 1000 if f.scrapes else 0.0


FIGURES: tuple[tuple[str, Callable[[Figures], float], str], ...] = (
    ("series", lambda f: f.series, "n"),
    ("whole (no overflow, every project)", lambda f: float(not (f.overflow or f.missing_projects)), "bool"),
    ("first data", lambda f: f.first_data, "s"),
    ("peak RSS (VmHWM)", lambda f: f.peak_rss / MB, "MB"),
    ("RSS after the scrapes", lambda f: f.steady_rss / MB, "MB"),
    ("scrape p99 under refresh", _p99, "ms"),
    ("scrape p99 idle", lambda f: percentiles(f.idle_scrapes)[1] * 1000 if f.idle_scrapes else 0.0, "ms"),
    ("CPU per warm refresh", lambda f: f.refresh_cpu, "s"),
    ("OTLP push, one export", lambda f: f.push_time, "s"),
    ("OTLP largest message", lambda f: f.push_largest / MB, "MiB"),
    ("peak RSS, Prometheus + OTLP", lambda f: f.push_peak_rss / MB, "MB"),
)


def cell(values: Sequence[float], unit: str) -> str:
    if unit == "bool":
        return "yes" if all(values) else "NO"
    if unit == "n":
        return f"{statistics.median(values):,.0f}"
    digits = 2 if unit == "MiB" else 1
    text = f"{statistics.median(values):.{digits}f} {unit}"
    if len(values) > 1 and min(values) != max(values):
        text += f" ({min(values):.1f}–{max(values):.1f})"
    return text


def change(before: Sequence[float], after: Sequence[float]) -> str:
    b, a = statistics.median(before), statistics.median(after)
    if b == a:
        return "same"
    if b == 0:
        return "-"
    text = f"{(a - b) / b:+.1%}"
    if len(before) > 1 and max(before) >= min(after) and max(after) >= min(before):
        text += " (within spread)"
    return text
