"""Vendor the part of OVH's API schema the simulator serves, for the schema-conformance tests.

OVH's `cloud.json` is 2.6 MB and lives outside this repository (in `shared/ovh-api/` beside it in
CI, absent on users' machines), so the tests read a trimmed copy: the response type of every
operation the simulator serves (its route table is the list) and every model reachable from them,
with only what validation needs (type, nullability, enum values), and the query and header parameters
of each operation with their descriptions (the test that the families call each route as documented
reads them: which parameters exist, which lists page, which filters change what comes back).

    python tools/extract_schema.py [--schemas DIR] [--out FILE]

Re-run it when the schema copies in shared/ are refreshed; a test fails when the vendored file is
out of date while shared/ is present.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCHEMAS = ROOT.parent / "shared" / "ovh-api"
DEFAULT_OUT = ROOT / "tests" / "data" / "ovh-cloud-models.json"
SOURCES = {"cloud.json": "cloud", "auth.json": "auth"}
AUTH_OPERATIONS = {
    ("GET", "/auth/time"),
    ("POST", "/auth/credential"),
    ("GET", "/auth/currentCredential"),
    ("GET", "/auth/details"),
}


def served_operations() -> set[tuple[str, str]]:
    """(method, path template) of every operation the simulator answers."""
    sys.path.insert(0, str(ROOT))
    from otel_ovh.simulator.routes import CLOUD_ROUTES

    return {("GET", path) for path in CLOUD_ROUTES} | AUTH_OPERATIONS


def referenced(type_name: str) -> list[str]:
    """Model names inside a schema type: `a.B[]`, `map[string]a.B`, `a.B`."""
    found = re.fullmatch(r"map\[(.+?)\](.+)", type_name)
    if found:
        return referenced(found.group(1)) + referenced(found.group(2))
    return [type_name.removesuffix("[]")]


def trim(model: dict[str, Any]) -> dict[str, Any]:
    if "enum" in model:
        return {"enum": model["enum"]}
    return {
        "properties": {
            name: {"type": prop["type"], "canBeNull": prop["canBeNull"]}
            for name, prop in sorted(model["properties"].items())
        }
    }


def extract(schemas: Path) -> dict[str, Any]:
    wanted = served_operations()
    operations: dict[str, str] = {}
    parameters: dict[str, dict[str, dict[str, str]]] = {}
    models: dict[str, Any] = {}
    for file_name in SOURCES:
        schema = json.loads((schemas / file_name).read_text())
        for api in schema["apis"]:
            for op in api["operations"]:
                if (op["httpMethod"], api["path"]) in wanted:
                    operations[f"{op['httpMethod']} {api['path']}"] = op["responseType"]
                    parameters[f"{op['httpMethod']} {api['path']}"] = {
                        kind: {
                            p["name"]: p.get("description", "")
                            for p in op["parameters"]
                            if p["paramType"] == kind
                        }
                        for kind in ("query", "header")  # path parameters are the route's own
                    }
        pending = [name for key, rt in operations.items() for name in referenced(rt)]
        while pending:
            name = pending.pop()
            if name in models or name not in schema["models"]:
                continue
            models[name] = trim(schema["models"][name])
            for prop in models[name].get("properties", {}).values():
                pending.extend(referenced(prop["type"]))
    missing = {f"{m} {p}" for m, p in wanted} - set(operations)
    if missing:
        raise SystemExit(f"operations not in the schema: {', '.join(sorted(missing))}")
    return {
        "about": "OVH's API schema (shared/ovh-api/cloud.json, auth.json) trimmed by tools/extract_schema.py",
        "operations": dict(sorted(operations.items())),
        "parameters": dict(sorted(parameters.items())),
        "models": dict(sorted(models.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--schemas", type=Path, default=DEFAULT_SCHEMAS, help="folder with cloud.json, auth.json"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(extract(args.schemas), indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
