"""The registry is the only place that knows the families: the house holds that shape."""

from __future__ import annotations

import ast
from pathlib import Path

from otel_ovh.export.catalog import CATALOG, SELF_FAMILY
from otel_ovh.families import BY_NAME, FAMILIES, FAMILY_NAMES, table_columns
from otel_ovh.families.base import PROJECT
from otel_ovh.families.derived import DERIVED

PACKAGE = Path(__file__).resolve().parents[2] / "otel_ovh"


def test_every_family_is_listed_once_and_declares_routes_and_metrics() -> None:
    assert len(FAMILY_NAMES) == len(set(FAMILY_NAMES)) == len(BY_NAME)
    for family in FAMILIES:
        # routes below a project, or account-wide ones; none only for a family that prices others' records
        assert family.routes or family.uses, family.name
        assert all(route.startswith(PROJECT) or family.account for route in family.routes), family.name
        assert family.metrics, family.name
        assert (PACKAGE / "families" / f"{family.name}.py").is_file(), f"{family.name} is not its own module"


def test_the_catalog_holds_every_family_metric_once() -> None:
    names = [metric.name for metric in CATALOG]
    assert len(names) == len(set(names))
    declared = {metric.name for family in FAMILIES for metric in family.metrics}
    assert declared == {m.name for m in CATALOG if m.family != SELF_FAMILY}
    assert {m.family for m in CATALOG} == {*FAMILY_NAMES, SELF_FAMILY}


def _family_imports(path: Path) -> set[str]:
    """Family modules ``path`` imports by name (``from otel_ovh.families import cost`` and the like)."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "otel_ovh.families":
                named.update(alias.name for alias in node.names if alias.name in FAMILY_NAMES)
            elif node.module.startswith("otel_ovh.families."):
                leaf = node.module.rsplit(".", 1)[1]
                if leaf in FAMILY_NAMES:
                    named.add(leaf)
    return named


def test_nothing_outside_the_families_names_a_family() -> None:
    """The refresher, merge rules, catalog, docs and CLI iterate the registry; none imports a family."""
    offenders = {
        str(path.relative_to(PACKAGE)): imported
        for path in PACKAGE.rglob("*.py")
        if "families" not in path.parts and "simulator" not in path.parts
        if (imported := _family_imports(path))
    }
    assert offenders == {}


def test_table_cells_are_each_familys_own_then_the_derived_ones_whose_families_are_all_on() -> None:
    own = [column.header for family in FAMILIES for column in family.columns]
    derived = [column.header for column in DERIVED]
    assert derived and all(set(column.reads) <= set(FAMILY_NAMES) for column in DERIVED)
    assert [c.header for c in table_columns(FAMILY_NAMES)] == own + derived
    for column in DERIVED:
        for missing in column.reads:
            shown = table_columns(name for name in FAMILY_NAMES if name != missing)
            assert column.header not in [c.header for c in shown]
