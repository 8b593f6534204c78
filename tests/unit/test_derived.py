"""Cells derived from several families' records: idle spend joins the bill to the idle inventory."""

from __future__ import annotations

from otel_ovh.collect.snapshot import ProjectData
from otel_ovh.families import cost, network, volumes
from otel_ovh.families.derived import IDLE_SPEND
from otel_ovh.families.network import FloatingIp, Network
from otel_ovh.families.usage import Charge, Usage
from otel_ovh.families.volumes import Volume


def _charge(resource_id: str, price: float) -> Charge:
    return Charge("GRA11", "volume", "classic", resource_id, "hourly", price)


USAGE = Usage(
    None,
    "EUR",
    None,
    (_charge("idle-vol", 1.25), _charge("busy-vol", 9.0), _charge("idle-ip", 0.5), _charge("ip", 3.0)),
    (),
    (),
)
VOLUMES = (
    Volume("idle-vol", "a", "GRA11", "classic", "available", 1.0, attachments=0),
    Volume("busy-vol", "b", "GRA11", "classic", "in-use", 1.0, attachments=1),
    Volume("unknown", "c", "GRA11", "classic", "in-use", 1.0, attachments=None),  # not said: not idle
)
NETWORK = Network(
    floating_ips=(FloatingIp("idle-ip", "GRA11", "down", False), FloatingIp("ip", "GRA11", "active", True))
)


def _data(with_network: bool = True) -> ProjectData:
    data = ProjectData().with_record(cost.FAMILY, USAGE).with_record(volumes.FAMILY, VOLUMES)
    return data.with_record(network.FAMILY, NETWORK) if with_network else data


def test_idle_spend_is_the_cost_of_unattached_volumes_and_unassociated_floating_ips() -> None:
    assert IDLE_SPEND.cell(_data()) == "1.75 EUR"
    assert IDLE_SPEND.total is not None
    assert IDLE_SPEND.total([_data(), _data(), _data(with_network=False)]) == "3.50 EUR"


def test_a_missing_record_is_no_figure_rather_than_a_partial_one() -> None:
    assert IDLE_SPEND.cell(_data(with_network=False)) == "-"
