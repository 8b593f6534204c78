"""``--demo``: the built-in simulated OVH API, started for the length of one command.

Its settings override only the OVH endpoint and credentials, so a user's other settings (labels,
families, regions, readers) apply to the demo as they would to their account; and the fair-use ceiling
(``collect.max_calls_per_second``), which protects OVH and our standing with it, not a simulator in this
process: paced, a demo would wait seconds on a ceiling nobody needs before it showed anything.

The demo's Kubernetes autoscaler runs on its own (``AUTOSCALE_EVERY``), so that nodes come and go
between refreshes as in a real account and a demo's cost per nodepool includes deleted nodes; tests
drive ``World.autoscale`` themselves instead.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from otel_ovh.settings.schema import SettingsError

if TYPE_CHECKING:
    from otel_ovh.simulator import World

log = logging.getLogger("otel_ovh")

AUTOSCALE_EVERY = 600.0  # seconds between the demo autoscaler's passes: a few per hour, as under real load


@contextmanager
def autoscaling(world: World, every: float = AUTOSCALE_EVERY) -> Iterator[None]:
    """Passes of the simulated autoscaler every ``every`` seconds while the block runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            world.autoscale()

    thread = threading.Thread(target=loop, name="demo-autoscaler", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


@contextmanager
def simulated_ovh(enabled: bool, seed: int = 42, projects: int = 3) -> Iterator[dict[str, Any] | None]:
    """Settings overrides pointing at a running simulator, or None when the demo is off."""
    if not enabled:
        yield None
        return
    from otel_ovh.simulator import SimulatedOvh, World, WorldShape

    sim = SimulatedOvh(World(seed=seed, shape=WorldShape(projects=projects)), host="127.0.0.1", port=0)
    sim.start()
    try:
        with autoscaling(sim.world):
            yield {"ovh": {"endpoint": sim.url, **sim.credentials}, "collect": {"max_calls_per_second": 0}}
    finally:
        sim.stop()


def announce(overrides: dict[str, Any] | None) -> None:
    """The first line of a demo's log, once logging is set up (the simulator starts before it is, as
    the settings depend on the simulator's address): nobody should mistake simulated costs for theirs."""
    if overrides:
        log.warning(
            "demo mode: the data is SIMULATED (built-in OVH API at %s), not read from an OVH account",
            overrides["ovh"]["endpoint"],
        )


def run_simulator(
    host: str, port: int, seed: int, projects: int, latency: float, stop: threading.Event
) -> None:
    """``simulate``: the API alone, with the variables that point otel-ovh at it, until ``stop``."""
    from otel_ovh.simulator import SimulatedOvh, World, WorldShape

    sim = SimulatedOvh(
        World(seed=seed, shape=WorldShape(projects=projects)), host=host, port=port, latency=latency
    )
    try:
        sim.start()
    except OSError as error:  # the user's --host/--port: a busy port, an address not on this machine
        key = "--port" if error.errno == errno.EADDRINUSE else "--host"
        raise SettingsError(key, f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    print(f"Simulated OVH API on {sim.url}  ({projects} projects, seed {seed})")
    print("Point otel-ovh at it with:\n")
    print(f"  export OTEL_OVH_OVH__ENDPOINT={sim.url}")
    for key, value in sim.credentials.items():
        print(f"  export OTEL_OVH_OVH__{key.upper()}={value}")
    print("\nCtrl-C to stop.", flush=True)
    with autoscaling(sim.world):
        stop.wait()
    sim.stop()
