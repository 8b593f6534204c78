"""The registry of OVH families: each is one module of this package, listed once here.

Everything that handles OVH data (the refresher, the merge rules, the catalog, ``docs/metrics.md``, the
settings reference, the CLI's table) iterates ``FAMILIES``; none of them names a family. The order here
is the order of the docs and of the table's columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import Any

from otel_ovh.families import project
from otel_ovh.families.base import Family, ProjectColumn

# Each family is the module of its name in this package (a test holds that): one line here per family.
FAMILIES: tuple[Family[Any], ...] = tuple(
    import_module(f"{__name__}.{name}").FAMILY
    for name in (
        "cost",
        "forecast",
        "quota",
        "instances",
        "volumes",
        "storage",
        "project",
        "credits",
        "budget",
        "savings_plans",
        "network",
        "kube",
    )
)
# check-config names each readable project, as the project family reads it.
describe_project = project.describe

FAMILY_NAMES: tuple[str, ...] = tuple(family.name for family in FAMILIES)
BY_NAME: dict[str, Family[Any]] = {family.name: family for family in FAMILIES}


def enabled(names: Iterable[str]) -> tuple[Family[Any], ...]:
    """The families of ``names`` (``collect.families``), in registry order."""
    wanted = set(names)
    return tuple(family for family in FAMILIES if family.name in wanted)


def table_columns(names: Iterable[str]) -> tuple[ProjectColumn, ...]:
    """The cells of ``collect --format table``: each enabled family's own, in registry order, then the
    cells derived from several families (``derived.py``) whose families are all enabled."""
    from otel_ovh.families.derived import DERIVED  # it reads family modules this registry loads first

    wanted = set(names)
    own = tuple(column.of(family) for family in enabled(wanted) for column in family.columns)
    return own + tuple(column for column in DERIVED if wanted.issuperset(column.reads))
