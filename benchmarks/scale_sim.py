"""The simulated OVH API of ``benchmarks/scale.py``, in a process of its own.

Run by the scaling benchmark so that the simulator's CPU (it answers thousands of calls a second) does
not slow the benchmark's own scrapes: their latency is otel-ovh's, not the GIL of the process timing
them. Prints one JSON line (endpoint, credentials, project ids), then serves until stdin closes.

    python -m benchmarks.scale_sim PROJECTS INSTANCES VOLUMES CONTAINERS BUCKETS SEED LATENCY
"""

from __future__ import annotations

import json
import sys
import time

from otel_ovh.simulator import SimulatedOvh, World, WorldShape


def main(argv: list[str]) -> int:
    projects, instances, volumes, containers, buckets, seed = (int(a) for a in argv[:6])
    now = time.time()
    world = World(
        seed=seed, shape=WorldShape(projects, instances, volumes, containers, buckets), clock=lambda: now
    )  # frozen: the same data every call
    sim = SimulatedOvh(world, port=0, latency=float(argv[6])).start()
    found = {"url": sim.url, "credentials": sim.credentials, "projects": world.project_ids}
    print(json.dumps(found), flush=True)
    sys.stdin.read()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
