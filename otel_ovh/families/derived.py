"""Table cells that no single family can compute, because they join several families' records of one
project; each is declared here once, as a :class:`~otel_ovh.families.base.ProjectColumn` naming the
families it reads (the table leaves it out unless all of them are enabled).

Idle spend is the month-to-date cost of the volumes attached to no instance and of the floating IPs
associated with nothing: the ``cost`` lines whose resource id is an idle ``volumes`` or ``network``
resource. It is the same join as the ``ovh_cloud_idle_spend`` recording rule, so the table and the
dashboard agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from otel_ovh.families import cost, network, volumes
from otel_ovh.families.base import ProjectColumn, Records, money


def idle_spend(records: Records) -> tuple[float, str | None] | None:
    """(amount, currency) of the project's idle resources this month; None when a record is missing."""
    usage = records.get(cost.FAMILY)
    disks = records.get(volumes.FAMILY)
    inventory = records.get(network.FAMILY)
    if usage is None or disks is None or inventory is None:
        return None
    idle = {v.id for v in disks if v.attachments == 0}
    idle.update(ip.id for ip in inventory.floating_ips if not ip.attached)
    return sum(c.price for c in usage.charges if c.resource_id in idle), usage.currency


def _idle_cell(records: Records) -> str:
    amount = idle_spend(records)
    return money([amount]) if amount is not None else "-"


def _idle_total(projects: Sequence[Records]) -> str:
    return money(amount for records in projects if (amount := idle_spend(records)) is not None)


IDLE_SPEND = ProjectColumn(
    "idle spend",
    (cost.FAMILY.name, volumes.FAMILY.name, network.FAMILY.name),
    _idle_cell,
    total=_idle_total,
)
DERIVED: tuple[ProjectColumn, ...] = (IDLE_SPEND,)
