"""Family ``network``: floating IPs (associated or not), gateways and load balancers, region by region.

They cost money (they are resourcesUsage lines) but no other family shows them as inventory, and an
unassociated floating IP is idle spend. OVH lists them only per region, and a project sees many regions
it never uses, so the family first reads the quota and lists each kind only in the regions whose quota
counts one in use (``usedFloatingIPs``, ``usedGateways``, ``usedLoadbalancers``): a project pays one
call per kind and region in use, never a call per region it may use. When the ``quota`` family is on,
its record of the same refresh tells that (``uses``); otherwise the family asks ``quota`` itself, with
the quota family's parser, so each family stays switchable on its own and ``quota`` is asked once.
Gateways page by ``limit``/``marker`` (at most 50 a page, per the schema): one call per 50 gateways.
Statuses are lower-case: OVH sends ``active`` and ``ACTIVE`` alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from otel_ovh.families import quota
from otel_ovh.families.attributes import (
    ATTACHED,
    OPERATING_STATUS,
    REGION,
    RESOURCE_ID,
    RESOURCE_NAME,
    SKU,
    STATUS,
)
from otel_ovh.families.base import PROJECT, Column, Family, Kind, Metric, Point, Regions, Scope
from otel_ovh.families.quota import Quota
from otel_ovh.ovh import paging
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.fields import Fields, Problems, iter_keyed

QUOTA = quota.ROUTE  # asked only when the quota family is off
FLOATING_IPS = PROJECT + "/region/{regionName}/floatingip"
GATEWAYS = PROJECT + "/region/{regionName}/gateway"
LOAD_BALANCERS = PROJECT + "/region/{regionName}/loadbalancing/loadbalancer"
# Answers meaning "this region does not offer that service" rather than a failure.
_NOT_OFFERED = frozenset({400, 404})
# route -> the quota (``ovh.quota``) whose usage says whether the region has any.
_IN_USE = {FLOATING_IPS: "floating_ips", GATEWAYS: "gateways", LOAD_BALANCERS: "load_balancers"}


@dataclass(frozen=True, slots=True)
class FloatingIp:
    id: str
    region: str
    status: str
    attached: bool  # an associated entity (instance, load balancer, router…); False is idle spend


@dataclass(frozen=True, slots=True)
class Gateway:
    id: str
    region: str
    name: str
    model: str  # size: s, m, l…
    status: str


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    id: str
    region: str
    name: str
    status: str  # provisioning status
    operating_status: str


@dataclass(frozen=True, slots=True)
class Network:
    floating_ips: tuple[FloatingIp, ...] = ()
    gateways: tuple[Gateway, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()


def regions_in_use(quotas: Iterable[Quota]) -> dict[str, list[str]]:
    """Route -> the regions whose quota counts at least one of its kind in use."""
    found: dict[str, list[str]] = {route: [] for route in _IN_USE}
    for q in quotas:
        for route, name in _IN_USE.items():
            if q.quota == name and q.usage:
                found[route].append(q.region)
    return found


def _quotas(api: OvhApi, scope: Scope) -> tuple[Quota, ...]:
    """The quota family's record of this refresh when it is on and answered, else the same call here."""
    record = scope.records.get(quota.FAMILY)
    return record if record is not None else quota.FAMILY.fetch(api, scope)


def parse_floating_ips(body: object, problems: Problems, region: str) -> list[FloatingIp]:
    return [
        FloatingIp(
            id=ip_id,
            region=item.text("region") or region,
            status=item.status("status"),
            attached=_associated(item),
        )
        for ip_id, item in iter_keyed(body, f"region/{region}/floatingip", problems, "id")
    ]


def _associated(item: Fields) -> bool:
    entity = item.obj("associatedEntity")
    return entity is not None and bool(entity.text("id"))


def parse_gateways(body: object, problems: Problems, region: str) -> list[Gateway]:
    return [
        Gateway(
            id=gateway_id,
            region=item.text("region") or region,
            name=item.text("name") or "",
            model=item.text("model") or "",
            status=item.status("status"),
        )
        for gateway_id, item in iter_keyed(body, f"region/{region}/gateway", problems, "id")
    ]


def parse_load_balancers(body: object, problems: Problems, region: str) -> list[LoadBalancer]:
    where = f"region/{region}/loadbalancing/loadbalancer"
    return [
        LoadBalancer(
            id=lb_id,
            region=item.text("region") or region,
            name=item.text("name") or "",
            status=item.status("provisioningStatus"),
            operating_status=item.status("operatingStatus"),
        )
        for lb_id, item in iter_keyed(body, where, problems, "id")
    ]


def _list(api: OvhApi, scope: Scope, route: str, region: str) -> object:
    params = scope.params(regionName=region)
    try:
        if route == GATEWAYS:
            return paging.marker_pages(api, route, params, scope.problems, f"region/{region}/gateway")
        return api.get(route, params)
    except ApiError as error:
        if error.status in _NOT_OFFERED:
            return []
        raise


def _fetch(api: OvhApi, scope: Scope) -> Network:
    """The quota, then each kind's list in the wanted regions where the quota shows one in use."""
    wanted = {
        route: [r for r in regions if scope.region_wanted(r)]
        for route, regions in regions_in_use(_quotas(api, scope)).items()
    }
    problems = scope.problems
    return Network(
        floating_ips=tuple(
            ip
            for r in wanted[FLOATING_IPS]
            for ip in parse_floating_ips(_list(api, scope, FLOATING_IPS, r), problems, r)
        ),
        gateways=tuple(
            g for r in wanted[GATEWAYS] for g in parse_gateways(_list(api, scope, GATEWAYS, r), problems, r)
        ),
        load_balancers=tuple(
            lb
            for r in wanted[LOAD_BALANCERS]
            for lb in parse_load_balancers(_list(api, scope, LOAD_BALANCERS, r), problems, r)
        ),
    )


def _floating_ips(network: Network) -> Iterable[Point]:
    for ip in network.floating_ips:
        attributes = {REGION.key: ip.region, RESOURCE_ID.key: ip.id, STATUS.key: ip.status}
        yield {**attributes, ATTACHED.key: "true" if ip.attached else "false"}, 1.0


def _gateways(network: Network) -> Iterable[Point]:
    for g in network.gateways:
        yield (
            {
                REGION.key: g.region,
                RESOURCE_ID.key: g.id,
                RESOURCE_NAME.key: g.name,
                SKU.key: g.model,
                STATUS.key: g.status,
            },
            1.0,
        )


def _load_balancers(network: Network) -> Iterable[Point]:
    for lb in network.load_balancers:
        yield (
            {
                REGION.key: lb.region,
                RESOURCE_ID.key: lb.id,
                RESOURCE_NAME.key: lb.name,
                STATUS.key: lb.status,
                OPERATING_STATUS.key: lb.operating_status,
            },
            1.0,
        )


def _narrow(network: Network, regions: Regions) -> Network:
    return Network(
        tuple(ip for ip in network.floating_ips if regions.wanted(ip.region)),
        tuple(g for g in network.gateways if regions.wanted(g.region)),
        tuple(lb for lb in network.load_balancers if regions.wanted(lb.region)),
    )


def _in_use(network: Network) -> Iterable[str]:
    yield from (ip.region for ip in network.floating_ips)
    yield from (g.region for g in network.gateways)
    yield from (lb.region for lb in network.load_balancers)


def _idle_ips(network: Network | None) -> str:
    if network is None:
        return "-"
    return str(sum(1 for ip in network.floating_ips if not ip.attached))


FAMILY: Family[Network] = Family(
    name="network",
    routes=(
        QUOTA,  # unless the quota family is on: then its record of the same refresh is read
        FLOATING_IPS,  # per region whose quota counts floating IPs in use
        GATEWAYS,  # per region whose quota counts gateways in use
        LOAD_BALANCERS,  # per region whose quota counts load balancers in use
    ),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.floating_ip.info",
            kind=Kind.GAUGE,
            unit="{info}",
            description=(
                "Always 1, per floating IP; `ovh_attached` is false for one with no associated entity "
                "(idle spend)."
            ),
            attributes=(REGION, RESOURCE_ID, STATUS, ATTACHED),
            source="`quota`, then `region/{r}/floatingip` (`associatedEntity`, `status`)",
            points=_floating_ips,
        ),
        Metric(
            name="ovh.cloud.gateway.info",
            kind=Kind.GAUGE,
            unit="{info}",
            description="Always 1, per gateway; carries its name, model (size) and status.",
            attributes=(REGION, RESOURCE_ID, RESOURCE_NAME, SKU, STATUS),
            source="`quota`, then `region/{r}/gateway` (`name`, `model`, `status`)",
            points=_gateways,
        ),
        Metric(
            name="ovh.cloud.loadbalancer.info",
            kind=Kind.GAUGE,
            unit="{info}",
            description="Always 1, per load balancer; carries its provisioning and operating status.",
            attributes=(REGION, RESOURCE_ID, RESOURCE_NAME, STATUS, OPERATING_STATUS),
            source=(
                "`quota`, then `region/{r}/loadbalancing/loadbalancer` (`provisioningStatus`, "
                "`operatingStatus`)"
            ),
            points=_load_balancers,
        ),
    ),
    columns=(Column("idle ip", _idle_ips),),
    narrow=_narrow,
    regions_in_use=_in_use,
    uses=(quota.FAMILY.name,),
)
