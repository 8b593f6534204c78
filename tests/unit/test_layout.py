"""Sizes a newcomer can hold: every module of the package under 400 lines, every function under 60."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "otel_ovh"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long: dict[str, int] = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                # From the def line (decorators aside) to the last line of the body, docstring included.
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"] = length
    assert long == {}


# The stages of the pipeline, in the order data flows; a module may import from its own stage and the
# stages before it, never from a later one. The simulator stands apart: a fake OVH that imports nothing
# of the product but the base, so that it cannot share the product's reading of the API by import.
BASE = ("__init__", "__version__", "__main__", "errors", "logs", "process")
STAGES = ("settings", "ovh", "families", "collect", "export", "serve", "commands", "cli")
APART = "simulator"


def _stage(module: str) -> int:
    """0 for the base, 1.. for the stages, -1 for the simulator."""
    first = module.split(".")[1] if module.count(".") else ""
    if first in BASE or not first:
        return 0
    if first == APART:
        return -1
    assert first in STAGES, f"otel_ovh.{first} belongs to no stage: add it to STAGES or BASE"
    return STAGES.index(first) + 1


def _imports(path: Path) -> set[str]:
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: relative import"
            if node.module and node.module.startswith("otel_ovh"):
                found.update(
                    f"{node.module}.{a.name}" if node.module == "otel_ovh" else node.module
                    for a in node.names
                )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("otel_ovh"))
    return found


def test_imports_flow_one_way_from_stage_to_stage() -> None:
    backwards: list[str] = []
    for path in _modules():
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if module.endswith("__main__"):
            continue
        here = _stage(module)
        for imported in _imports(path):
            there = _stage(imported)
            if here == -1:
                wrong = there not in (0, -1)
            else:
                wrong = there > here or (there == -1 and here < STAGES.index("commands") + 1)
            if wrong:
                backwards.append(f"{module} imports {imported}")
    assert backwards == []


def test_every_top_level_module_is_a_stage_or_the_base() -> None:
    top = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    top.discard("__pycache__")
    assert top <= {*BASE, *STAGES, APART}
