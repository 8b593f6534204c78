"""Network inventory of a project: ``region/{r}/floatingip`` (``cloud.project.FloatingIp``),
``region/{r}/gateway`` (``cloud.network.Gateway``) and ``region/{r}/loadbalancing/loadbalancer``
(``cloud.loadbalancing.LoadBalancer``).

Consistent with the rest of the account: each resource is billed by the resourcesUsage meter of the
same id, so its cost joins on ``cloud_resource_id``, and the quota's ``usedFloatingIPs``,
``usedGateways`` and ``usedLoadbalancers`` count exactly these resources (the quota counts live meters).
Floating IPs and load balancers are the meters the generator already bills; gateways replace the
gateway count the generator used to draw for the quota, so the quota figures are unchanged. Names,
statuses and addresses come from their own random stream, so the rest of the world is unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from otel_ovh.simulator.catalog import GATEWAY_KIND, GATEWAY_PRICE, region_spec
from otel_ovh.simulator.family import AddInstance, Autoscale, Family, Handler, Json
from otel_ovh.simulator.generate import Generator
from otel_ovh.simulator.ids import random_uuid, stable_uuid
from otel_ovh.simulator.model import Meter, NetworkResource, Project
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso

FLOATING_IP_KIND = "resources.floatingip"
LOADBALANCER_KIND = "resources.octavia-loadbalancer"
GATEWAY_MODELS = ("s", "m", "l")


def _ip(rng: random.Random, first: int) -> str:
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"


def _live(project: Project, kind: str, now: int) -> list[NetworkResource]:
    return [r for r in project.network if r.kind == kind and r.created <= now]


def generate_network(seed: int, project: Project, now: int, empty: bool) -> None:
    """Gateways (as many per region as the quota counted), then the inventory of the billed load
    balancers and floating IPs; every other floating IP, by project, is left unassociated (idle)."""
    rng = random.Random(f"{seed}/network/{project.index}")
    for region in project.regions:
        count = project.quota_usage.get(region, {}).pop("usedGateways", 0)
        if empty or "network" not in region_spec(region).quota_categories:
            continue
        for _ in range(count):
            add_gateway(rng, project, region, now)
    for k, meter in enumerate(m for m in project.extras if m.kind == LOADBALANCER_KIND):
        project.network.append(
            NetworkResource(
                "loadbalancer",
                meter.resource_id,
                meter.region or "",
                f"lb-{project.name}-{k}",
                "updating" if k % 3 == 2 else "active",
                meter.start,
                _ip(rng, 10),
                random_uuid(rng),
                operating_status="degraded" if k % 2 else "online",
            )
        )
    for k, meter in enumerate(m for m in project.extras if m.kind == FLOATING_IP_KIND):
        _add_floating_ip(rng, project, meter, idle=(project.index + k) % 2 == 0)


def add_gateway(rng: random.Random, project: Project, region: str, now: int) -> None:
    model = rng.choice(GATEWAY_MODELS)
    gateway = NetworkResource(
        "gateway",
        random_uuid(rng),
        region,
        f"gw-{region.lower()}-{rng.getrandbits(16):04x}",
        "active",
        now - rng.randint(35, 400) * 86_400,
        _ip(rng, 57),
        random_uuid(rng),
        model=model,
    )
    project.network.append(gateway)
    project.extras.append(
        Meter(
            GATEWAY_KIND,
            f"gateway-{model}",
            region,
            gateway.id,
            "Hour",
            1.0,
            GATEWAY_PRICE[model],
            gateway.created,
        )
    )


def _add_floating_ip(rng: random.Random, project: Project, meter: Meter, idle: bool) -> None:
    region = meter.region or ""
    ip = _ip(rng, 141)
    gateway = next((g.id for g in project.network if g.kind == "gateway" and g.region == region), None)
    associated: tuple[str, str, str] | None = None
    if not idle:
        hosts = project.live_instances(region)
        balancers = [r for r in project.network if r.kind == "loadbalancer" and r.region == region]
        if hosts:
            associated = ("instance", hosts[0].id, hosts[0].private_ip)
        elif balancers and balancers[0].floating_ip is None:
            associated = ("loadbalancer", balancers[0].id, balancers[0].ip)
            balancers[0].floating_ip = (meter.resource_id, ip)
    project.network.append(
        NetworkResource(
            "floatingip",
            meter.resource_id,
            region,
            "",
            "active" if associated else "down",
            meter.start,
            ip,
            random_uuid(rng),
            associated=associated,
            gateway_id=gateway or stable_uuid(project.id, "gateway", region),
        )
    )


def floating_ips(project: Project, region: str, now: int) -> list[Json]:
    return [
        {
            "id": f.id,
            "ip": f.ip,
            "networkId": f.network_id,
            "region": f.region,
            "status": f.status,
            "associatedEntity": None
            if f.associated is None
            else {
                "gatewayId": f.gateway_id,
                "id": f.associated[1],
                "ip": f.associated[2],
                "type": f.associated[0],
            },
        }
        for f in _live(project, "floatingip", now)
        if f.region == region
    ]


def _case(project: Project, status: str) -> str:
    """OVH sends enumerations in either case (``active`` and ``ACTIVE`` for gateways, ``online`` and
    ``ONLINE`` for load balancers, in captured answers): odd projects get them upper-case."""
    return status.upper() if project.index % 2 else status


def gateways(project: Project, region: str, now: int) -> list[Json]:
    return [
        {
            "id": g.id,
            "name": g.name,
            "region": g.region,
            "model": g.model,
            "status": _case(project, g.status),
            "type": "public",
            "interfaces": [
                {
                    "id": stable_uuid(g.id, "interface"),
                    "ip": "10.0.0.1",
                    "networkId": g.network_id,
                    "subnetId": stable_uuid(g.id, "subnet"),
                    "subnet": None,
                }
            ],
            "externalInformation": {
                "ips": [{"ip": g.ip, "subnetId": stable_uuid(g.id, "external-subnet")}],
                "networkId": stable_uuid(region, "ext-net"),
                "snatEnabled": True,
            },
        }
        for g in _live(project, "gateway", now)
        if g.region == region
    ]


def load_balancers(project: Project, region: str, now: int) -> list[Json]:
    return [
        {
            "id": lb.id,
            "name": lb.name,
            "region": lb.region,
            "createdAt": iso(lb.created),
            "updatedAt": iso(lb.created),
            "flavorId": stable_uuid("octavia-flavor", "small", region),
            "floatingIp": None
            if lb.floating_ip is None
            else {"id": lb.floating_ip[0], "ip": lb.floating_ip[1]},
            "operatingStatus": _case(project, lb.operating_status),
            "provisioningStatus": _case(project, lb.status),
            "vipAddress": lb.ip,
            "vipNetworkId": lb.network_id,
            "vipSubnetId": stable_uuid(lb.id, "vip-subnet"),
        }
        for lb in _live(project, "loadbalancer", now)
        if lb.region == region
    ]


def populate(generator: Generator, project: Project, now: int, empty: bool) -> None:
    generate_network(generator.seed, project, now, empty)


def _in_region(answer: Callable[[Project, str, int], list[Json]]) -> Handler:
    return lambda v, a, q: answer(v.p, v.region_name(a["regionName"]), v.now)


FAMILY = Family(
    routes={
        f"{P}/region/{{regionName}}/floatingip": _in_region(floating_ips),
        f"{P}/region/{{regionName}}/gateway": _in_region(gateways),
        f"{P}/region/{{regionName}}/loadbalancing/loadbalancer": _in_region(load_balancers),
    },
    populate=populate,
)


def add_gateways(region: str, count: int) -> Autoscale:
    """For ``World.change``: ``count`` more gateways in ``region``, billed and counted in the quota like
    the others (a test's way past OVH's 50 gateways a call)."""

    def change(rng: random.Random, project: Project, now: int, add: AddInstance) -> list[str]:
        for _ in range(count):
            add_gateway(rng, project, region, now)
        return []

    return change
