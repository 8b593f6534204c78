"""A simulated OVHcloud API (the Public Cloud consumption endpoints), for demos and tests.

    world = World(seed=42, shape=WorldShape(projects=3), clock=time.time)
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    ovh.client.ENDPOINTS["sim"] = sim.url
    client = ovh.Client(endpoint="sim", **sim.credentials)

Stdlib only, and independent of the rest of otel_ovh. Module map: catalog (offer tables), generate
(seeded account), model (records), meters + billing + money (usage bodies, exact to the cent),
resources + legacy (the other bodies, modern and 2024-era), world (state, answers, mutations),
auth (signatures, consumer keys, OAuth2), faults, calls, routes, errors, server (HTTP).
"""

from otel_ovh.simulator.auth import signature
from otel_ovh.simulator.calls import Call
from otel_ovh.simulator.errors import ApiError
from otel_ovh.simulator.faults import Fault
from otel_ovh.simulator.generate import WorldShape
from otel_ovh.simulator.server import SimulatedOvh
from otel_ovh.simulator.world import World

__all__ = ["ApiError", "Call", "Fault", "SimulatedOvh", "World", "WorldShape", "signature"]
