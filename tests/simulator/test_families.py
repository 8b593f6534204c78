"""The simulator's registry follows the product's: every product family has its simulated module (or is
listed with the reason it has none), that module answers every call the product family makes, and the
server dispatches through the registry without naming a family."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from otel_ovh import families as product
from otel_ovh.settings.config import FAMILY_NAMES
from otel_ovh.simulator import families as simulated
from otel_ovh.simulator.families import FAMILIES, NOT_SIMULATED

SIMULATOR = Path(simulated.__file__).resolve().parents[1]


def test_every_product_family_is_simulated_or_listed_with_a_reason() -> None:
    unlisted = [name for name in FAMILY_NAMES if name not in FAMILIES and not NOT_SIMULATED.get(name)]
    assert unlisted == []
    assert set(NOT_SIMULATED) <= set(FAMILY_NAMES) - set(FAMILIES)


def test_each_simulated_family_is_the_module_of_its_name() -> None:
    for name, family in FAMILIES.items():
        assert importlib.import_module(f"otel_ovh.simulator.families.{name}").FAMILY is family


def test_every_call_of_a_product_family_is_answered_by_its_namesake_or_a_family_it_uses() -> None:
    unanswered = [
        f"{family.name}: {route}"
        for family in product.FAMILIES
        if family.name in FAMILIES
        for route in (*family.routes, *family.history_routes)
        if not any(
            route in (*FAMILIES[name].routes, *FAMILIES[name].public, *FAMILIES[name].account)
            for name in (family.name, *family.uses)
            if name in FAMILIES
        )
    ]
    assert unanswered == []


def test_the_server_and_the_world_dispatch_through_the_registry() -> None:
    """They may import the registry (the package); the family modules are the registry's to load."""
    members = {f"otel_ovh.simulator.families.{name}" for name in FAMILIES}
    named: list[str] = []
    for module in ("server.py", "world.py"):
        tree = ast.parse((SIMULATOR / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
                named += [f"{module} imports {m}" for m in sorted(imported & members)]
    assert named == []
