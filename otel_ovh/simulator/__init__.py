"""A simulated OVHcloud API (the Public Cloud consumption endpoints), for demos and tests.

    world = World(seed=42, shape=WorldShape(projects=3), clock=time.time)
    sim = SimulatedOvh(world, host="127.0.0.1", port=0).start()
    ovh.client.ENDPOINTS["sim"] = sim.url
    client = ovh.Client(endpoint="sim", **sim.credentials)

Stdlib only, and independent of the rest of otel_ovh. Module map: families/ (one module per product
family: the routes it answers and the part of the account only it generates; families/__init__.py the
registry), family (what a family is, and the project view its handlers read); shared by them: catalog
(offer tables), generate (seeded projects, instances, volumes, storage, billed extras), model (records),
meters + billing + money (usage bodies, exact to the cent), legacy (2024-era shapes), world (state,
dispatch, mutations), auth (signatures, consumer keys, OAuth2), faults, calls, routes, errors, server
(HTTP, which never names a family).
"""

from otel_ovh.simulator.auth import signature
from otel_ovh.simulator.calls import Call
from otel_ovh.simulator.errors import ApiError
from otel_ovh.simulator.faults import Fault
from otel_ovh.simulator.generate import WorldShape
from otel_ovh.simulator.server import SimulatedOvh
from otel_ovh.simulator.world import World

__all__ = ["ApiError", "Call", "Fault", "SimulatedOvh", "World", "WorldShape", "signature"]
