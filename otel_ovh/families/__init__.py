"""The registry of OVH families: each is one module of this package, named once in the settings.

Everything that handles OVH data (the refresher, the merge rules, the catalog, ``docs/metrics.md``, the
settings reference, the CLI's table) iterates ``FAMILIES``; none of them names a family.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import Any

from otel_ovh.families import project
from otel_ovh.families.base import Family, ProjectColumn
from otel_ovh.settings.config import FAMILY_NAMES

# Each family is the module of its name in this package (a test holds that), named once in the
# declaration of ``collect.families`` (``FAMILY_NAMES``), in the order of the docs and the table.
FAMILIES: tuple[Family[Any], ...] = tuple(import_module(f"{__name__}.{name}").FAMILY for name in FAMILY_NAMES)
# check-config names each readable project, as the project family reads it.
describe_project = project.describe

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
