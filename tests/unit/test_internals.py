"""The private parts of other libraries otel-ovh relies on are each used in one module per library, and an
upgrade that moves one of them fails here, naming the library, its version and what moved."""

from __future__ import annotations

import ast
import re
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest

from otel_ovh.export import prometheus_internals, sdk_internals
from otel_ovh.ovh import ovh_internals, requests_internals

FENCES = [ovh_internals, requests_internals, sdk_internals, prometheus_internals]
PACKAGE = Path(__file__).resolve().parents[2] / "otel_ovh"
PYPROJECT = PACKAGE.parent / "pyproject.toml"


@pytest.mark.parametrize("fence", FENCES, ids=lambda m: m.LIBRARY)
def test_what_the_installed_library_still_has(fence: ModuleType) -> None:
    gone = fence.missing()
    assert gone == [], (
        f"{fence.LIBRARY} {version(fence.LIBRARY)} moved what {fence.__name__} relies on: {'; '.join(gone)}. "
        f"Follow it there (and move the pin in pyproject.toml), or stay below this version."
    )


PRIVATE = re.compile(r"_[a-z]\w*")
REFLECTION = {"getattr", "setattr", "hasattr"}


def _ours(trees: list[ast.Module]) -> set[str]:
    """The private names otel-ovh defines itself: functions, classes, and attributes it assigns."""
    names: set[str] = set()
    for node in (n for tree in trees for n in ast.walk(tree)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {name for name in names if PRIVATE.fullmatch(name)}


def _private_uses(tree: ast.Module, ours: set[str]) -> set[str]:
    """Private attributes read off another library's objects (``os._exit`` is documented), and imports
    from another library's private modules."""
    uses: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and PRIVATE.fullmatch(node.attr) and node.attr not in ours:
            documented = isinstance(node.value, ast.Name) and (node.value.id, node.attr) == ("os", "_exit")
            if not documented:
                uses.add(node.attr)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in REFLECTION:
            given = node.args[1] if len(node.args) > 1 else None
            name = given.value if isinstance(given, ast.Constant) else None
            if isinstance(name, str) and PRIVATE.fullmatch(name) and name not in ours:
                uses.add(name)
        elif isinstance(node, ast.ImportFrom) and not (node.module or "otel_ovh").startswith("otel_ovh"):
            uses.update(p for p in str(node.module).split(".") if PRIVATE.fullmatch(p))
    return uses


def test_private_parts_are_used_in_the_fences_only() -> None:
    fences = {Path(str(fence.__file__)) for fence in FENCES}
    modules = {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in fences and "simulator" not in path.parts
    }
    ours = _ours(list(modules.values()))
    elsewhere = {
        str(path.relative_to(PACKAGE)): sorted(uses)
        for path, tree in modules.items()
        if (uses := _private_uses(tree, ours))
    }
    assert elsewhere == {}


@pytest.mark.parametrize("library", ["ovh", "opentelemetry-sdk", "opentelemetry-exporter-prometheus"])
def test_the_fenced_libraries_are_pinned_below_their_next_minor(library: str) -> None:
    """A fence is checked against the version installed; a newer minor may move what it uses."""
    major, minor = (int(part) for part in re.findall(r"\d+", version(library))[:2])
    requirement = re.search(rf'"{re.escape(library)}(?P<spec>[^"]*)"', PYPROJECT.read_text())
    assert requirement is not None
    assert f"<{major}.{minor + 1}" in requirement["spec"].replace(" ", "").split(",")
