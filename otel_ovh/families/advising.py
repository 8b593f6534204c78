"""The advice of several projects as one list, the largest saving first: what ``otel-ovh advise`` prints.

It reads the records of the ``advice`` family, priced with the ``catalog`` family's list (docs/advice.md);
the command iterates the snapshot and never names a family.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from otel_ovh.families import advice, catalog
from otel_ovh.families.base import Records

NEEDED = (advice.FAMILY.name, catalog.FAMILY.name)  # the families the advice is worked out from
PRICE_LIST_ROUTE = catalog.ROUTE


@dataclass(frozen=True)
class Row:
    resource_id: str
    project_id: str
    project: str
    kind: str
    sku: str
    saving: float  # over the billing month, in ``currency``
    currency: str


def ranked(projects: Iterable[tuple[str, str, Records]], account: Records) -> list[Row] | None:
    """Every project's advice from (project id, name, records), the largest saving first (then by
    project, kind and resource); None without a price list in the account's records."""
    if account.get(catalog.FAMILY) is None:
        return None
    rows = [
        Row(item.resource_id, project_id, name, item.kind, item.sku, item.saving, found.currency)
        for project_id, name, records in projects
        if (found := records.get(advice.FAMILY)) is not None
        for item in found.advice
    ]
    return sorted(rows, key=lambda r: (-r.saving, r.project, r.kind, r.resource_id))
