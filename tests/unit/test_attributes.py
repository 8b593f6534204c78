"""Each attribute is declared once (``otel_ovh.families.attributes``, or beside the table of its values in
its family), and no module spells an attribute key of its own: a key typed twice could drift apart."""

from __future__ import annotations

import ast
from pathlib import Path

from otel_ovh.export.catalog import CATALOG, COMMON_ATTRIBUTES
from otel_ovh.families.attributes import Attribute

PACKAGE = Path(__file__).resolve().parents[2] / "otel_ovh"
DECLARED = [*COMMON_ATTRIBUTES, *(a for metric in CATALOG for a in metric.attributes)]
KEYS = {a.key for a in DECLARED}


def test_one_declaration_per_key() -> None:
    by_key: dict[str, set[int]] = {}
    for attribute in DECLARED:
        by_key.setdefault(attribute.key, set()).add(id(attribute))
    assert {key: len(found) for key, found in by_key.items() if len(found) > 1} == {}


def test_every_attribute_says_what_it_means() -> None:
    for attribute in DECLARED:
        assert attribute.description.strip(), attribute.key
        assert len(set(attribute.values)) == len(attribute.values), attribute.key


def _spelled_keys(path: Path, root: Path = PACKAGE) -> list[str]:
    """Attribute keys written as string literals in ``path``, but for the key of an ``Attribute(...)``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    declarations = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == Attribute.__name__ and node.args
    }
    return [
        f"{path.relative_to(root)}:{node.lineno} {node.value}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in KEYS and id(node) not in declarations
    ]


def test_no_module_spells_an_attribute_key() -> None:
    spelled = [
        found
        for path in sorted(PACKAGE.rglob("*.py"))
        if "simulator" not in path.parts
        for found in _spelled_keys(path)
    ]
    assert spelled == []


def test_the_guard_sees_a_spelled_key(tmp_path: Path) -> None:
    module = tmp_path / "family.py"
    module.write_text('REGION = Attribute("cloud.region", "")\nPOINT = {"cloud.region": "GRA11"}\n')
    assert _spelled_keys(module, tmp_path) == ["family.py:2 cloud.region"]
