"""OVH calls per project per hour at the default ``collect.interval``, by family, for one or two trees.

An hour of refreshes runs in a few seconds: the refresher and the simulated OVH share a clock the
benchmark moves by one interval per refresh, so the calls are those an hour of ``serve`` would make,
cadences, OVH's hourly ``lastUpdate`` and all. Each tree runs in its own process on the same world.

    python -m benchmarks.hourly                  # the working tree
    python -m benchmarks.hourly --against HEAD~3  # that revision and the working tree, side by side
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOUR = 3600.0
PROJECTS = 5


def one_hour(interval: float) -> dict[str, float]:
    """Calls per project in an hour, by family, by whichever ``otel_ovh`` this process imports."""
    import otel_ovh
    from benchmarks.bench import route_families
    from otel_ovh.serve.app import Exporter
    from otel_ovh.settings.config import parse_settings
    from otel_ovh.simulator import SimulatedOvh, World, WorldShape

    class Clock:
        now = time.time() // HOUR * HOUR + 120.0  # two minutes into an hour

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    world = World(seed=7, shape=WorldShape(projects=PROJECTS), clock=clock)
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    raw = {
        "ovh": {"endpoint": sim.url, **sim.credentials},
        "collect": {"interval": interval, "max_calls_per_second": 0},
    }
    exporter = Exporter.build(parse_settings(raw), serve=False, clock=clock)
    try:
        refreshes = int(HOUR // interval)
        for _ in range(refreshes):
            exporter.refresher.refresh_once()
            clock.now += interval
    finally:
        exporter.telemetry.shutdown()
        sim.stop()
    family_of = route_families()
    calls: Counter[str] = Counter()
    for call in sim.calls:
        if call.project:
            calls[family_of.get(call.route, "other")] += 1
    print(f"otel_ovh from {Path(otel_ovh.__file__).parent}", file=sys.stderr)
    return {family: count / PROJECTS for family, count in calls.items()}


def run_tree(package_root: Path, interval: float) -> dict[str, float]:
    """``one_hour`` in a process that imports ``otel_ovh`` from ``package_root``."""
    env = {**os.environ, "PYTHONPATH": f"{package_root}{os.pathsep}{ROOT}"}
    # By path, not ``-m``: the working directory would come first on sys.path, and its otel_ovh with it.
    command = [sys.executable, str(Path(__file__).resolve()), "--json", "--interval", str(interval)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the run in {package_root} failed:\n{result.stderr.strip()[-2000:]}")
    print(result.stderr.strip().splitlines()[-1], file=sys.stderr)  # which otel_ovh ran
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def table(columns: dict[str, dict[str, float]]) -> str:
    names = sorted({family for figures in columns.values() for family in figures})
    width = max(len(name) for name in [*names, "family"]) + 2
    lines = ["family".ljust(width) + "".join(f"{title:>16}" for title in columns)]
    for name in names:
        lines.append(name.ljust(width) + "".join(f"{f.get(name, 0):>16.0f}" for f in columns.values()))
    lines.append("total".ljust(width) + "".join(f"{sum(f.values()):>16.0f}" for f in columns.values()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--against", metavar="REV", help="also run this git revision, side by side")
    parser.add_argument("--interval", type=float, default=300.0, help="collect.interval (default 300)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a tree's own run
    args = parser.parse_args()
    if args.json:
        print(json.dumps(one_hour(args.interval)))
        return
    columns: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="otel-ovh-hourly-") as workdir:
        if args.against:
            from benchmarks.compare import unpack_revision

            version = unpack_revision(args.against, Path(workdir) / "rev")
            columns[args.against] = run_tree(version.path, args.interval)
        columns["working tree"] = run_tree(ROOT, args.interval)
    print(f"OVH calls per project per hour, collect.interval {args.interval:g} s, {PROJECTS} projects:")
    print(table(columns))


if __name__ == "__main__":
    main()
