"""The network family's parsing, against the schema's models and what OVH may send instead."""

from __future__ import annotations

from otel_ovh.families.base import Regions
from otel_ovh.families.network import (
    FAMILY,
    FLOATING_IPS,
    GATEWAYS,
    LOAD_BALANCERS,
    FloatingIp,
    Gateway,
    LoadBalancer,
    Network,
    parse_floating_ips,
    parse_gateways,
    parse_load_balancers,
    regions_in_use,
)
from otel_ovh.families.quota import parse_quotas
from otel_ovh.ovh.fields import Problems

FIP: dict[str, object] = {
    "id": "f-1",
    "ip": "141.1.2.3",
    "networkId": "n-1",
    "region": "GRA11",
    "status": "active",
    "associatedEntity": {"gatewayId": "g-1", "id": "i-1", "ip": "10.0.0.5", "type": "instance"},
}
GATEWAY: dict[str, object] = {
    "id": "g-1",
    "name": "gw-gra",
    "region": "GRA11",
    "model": "s",
    "status": "active",
    "type": "public",
    "interfaces": [],
    "externalInformation": None,
}
LB: dict[str, object] = {
    "id": "lb-1",
    "name": "front",
    "region": "GRA11",
    "provisioningStatus": "active",
    "operatingStatus": "online",
    "floatingIp": None,
}


def _points(network: Network) -> dict[str, list[tuple[dict[str, str | int], float]]]:
    return {metric.name: list(metric.points(network)) for metric in FAMILY.metrics}


def test_quota_names_the_regions_to_ask_per_kind() -> None:
    body = [
        {"region": "GRA11", "network": {"usedFloatingIPs": 2, "usedGateways": 0}, "loadbalancer": None},
        {"region": "SBG5", "network": {"usedFloatingIPs": 0, "usedGateways": 1}, "loadbalancer": {}},
        {"region": "DE1", "network": None, "loadbalancer": {"usedLoadbalancers": 3}},
        {"region": "BHS5"},
    ]
    problems = Problems()
    assert regions_in_use(parse_quotas(body, problems)) == {
        FLOATING_IPS: ["GRA11"],
        GATEWAYS: ["SBG5"],
        LOAD_BALANCERS: ["DE1"],
    }
    assert not problems


def test_an_unreadable_quota_asks_nowhere_and_says_why() -> None:
    problems = Problems()
    wrong = [{"region": "GRA11", "network": {"usedFloatingIPs": "two"}}, "junk"]
    nowhere: dict[str, list[str]] = {FLOATING_IPS: [], GATEWAYS: [], LOAD_BALANCERS: []}
    assert regions_in_use(parse_quotas(wrong, problems)) == nowhere
    assert len(problems.messages) == 2
    assert regions_in_use(parse_quotas(None, Problems())) == nowhere


def test_a_floating_ip_is_attached_when_it_has_an_associated_entity() -> None:
    idle = {**FIP, "id": "f-2", "associatedEntity": None, "status": "down"}
    ips = parse_floating_ips([FIP, idle], Problems(), "GRA11")
    assert ips == [FloatingIp("f-1", "GRA11", "active", True), FloatingIp("f-2", "GRA11", "down", False)]
    points = _points(Network(floating_ips=tuple(ips)))["ovh.cloud.floating_ip.info"]
    assert [p[0]["ovh.attached"] for p in points] == ["true", "false"]
    assert all(value == 1.0 for _, value in points)


def test_floating_ip_nulls_and_missing_fields() -> None:
    problems = Problems()
    bare = {"id": "f-3", "region": None}  # region is nullable: the asked region stands in
    ips = parse_floating_ips([bare, {"ip": "1.2.3.4"}], problems, "SBG5")
    assert ips == [FloatingIp("f-3", "SBG5", "", False)]
    assert len(problems.messages) == 1  # the one without an id cannot be told apart


def test_wrong_types_are_dropped_alone() -> None:
    problems = Problems()
    odd = {**GATEWAY, "model": ["s"], "status": 3, "name": None}
    assert parse_gateways([odd, 7], problems, "GRA11") == [Gateway("g-1", "GRA11", "", "", "3")]
    assert len(problems.messages) == 2  # the list for a model, the number for an object
    problems = Problems()
    assert parse_floating_ips([{**FIP, "associatedEntity": "i-1"}], problems, "GRA11")[0].attached is False
    assert problems
    problems = Problems()
    assert parse_load_balancers({"id": "lb-1"}, problems, "GRA11") == []
    assert problems.messages == ["region/GRA11/loadbalancing/loadbalancer: expected a list, got dict"]


def test_empty_lists_give_no_series() -> None:
    assert parse_floating_ips([], Problems(), "GRA11") == []
    assert parse_gateways(None, Problems(), "GRA11") == []
    assert parse_load_balancers([], Problems(), "GRA11") == []
    assert all(points == [] for points in _points(Network()).values())


def test_gateways_and_load_balancers_carry_the_contract_labels() -> None:
    network = Network(
        gateways=tuple(parse_gateways([GATEWAY], Problems(), "GRA11")),
        load_balancers=tuple(parse_load_balancers([LB], Problems(), "GRA11")),
    )
    points = _points(network)
    assert points["ovh.cloud.gateway.info"] == [
        (
            {
                "cloud.region": "GRA11",
                "cloud.resource_id": "g-1",
                "ovh.resource.name": "gw-gra",
                "ovh.sku": "s",
                "ovh.status": "active",
            },
            1.0,
        )
    ]
    assert network.load_balancers == (LoadBalancer("lb-1", "GRA11", "front", "active", "online"),)
    assert points["ovh.cloud.loadbalancer.info"][0][0]["ovh.operating_status"] == "online"


def test_excluded_regions_leave_the_record_and_used_regions_are_reported() -> None:
    network = Network(
        floating_ips=(FloatingIp("f", "GRA11", "active", False),),
        gateways=(Gateway("g", "SBG5", "gw", "s", "active"),),
        load_balancers=(LoadBalancer("l", "DE1", "lb", "active", "online"),),
    )
    narrowed = FAMILY.narrow(network, Regions(lambda region: region != "SBG5"))
    assert narrowed.gateways == () and len(narrowed.floating_ips) == len(narrowed.load_balancers) == 1
    assert set(FAMILY.regions_in_use(network)) == {"GRA11", "SBG5", "DE1"}
    assert [c.cell(network) for c in FAMILY.columns] == ["1"] and FAMILY.columns[0].cell(None) == "-"
