"""Vendor the part of OVH's API schema the simulator serves, for the schema-conformance tests.

OVH's schemas are served at https://eu.api.ovh.com/1.0/cloud.json (2.6 MB) and
https://eu.api.ovh.com/1.0/auth.json; the tests read a trimmed copy, tests/data/ovh-cloud-models.json:
the response type of every operation the simulator serves (its route table is the list) and every
model reachable from them, with only what validation needs (type, nullability, enum values).
The query and header parameters of each operation are kept too, with their descriptions: the test that
the families call each route as documented reads them (which parameters exist, which lists page, which
filters change what comes back).

    python tools/extract_schema.py --schemas DIR [--out FILE] [--check]

DIR holds cloud.json, auth.json, order.json, me.json and services.json as downloaded. Re-run it when the
simulator serves another route or OVH's schema changes; ``--check`` writes nothing and fails when the
vendored copy differs from what DIR gives. A test holds that the copy covers exactly the routes served and
the models they reach.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "data" / "ovh-cloud-models.json"
SOURCES = {
    "cloud.json": "cloud",
    "auth.json": "auth",
    "order.json": "order",
    "me.json": "me",
    "services.json": "services",
}
ABOUT = (
    "OVH's API v1 schema (https://eu.api.ovh.com/1.0/cloud.json, auth.json, order.json, me.json and "
    "services.json) trimmed by "
    "tools/extract_schema.py; see tests/data/README.md"
)
AUTH_OPERATIONS = {
    ("GET", "/auth/time"),
    ("POST", "/auth/credential"),
    ("GET", "/auth/currentCredential"),
    ("GET", "/auth/details"),
}


def served_operations() -> set[tuple[str, str]]:
    """(method, path template) of every operation the simulator answers."""
    sys.path.insert(0, str(ROOT))
    from otel_ovh.simulator.families import ACCOUNT_ROUTES, CLOUD_ROUTES, PUBLIC

    return {("GET", path) for path in (*CLOUD_ROUTES, *ACCOUNT_ROUTES, *PUBLIC)} | AUTH_OPERATIONS


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


def reachable(operations: dict[str, str], models: dict[str, Any]) -> set[str]:
    """Names of the models in ``models`` that the operations' response types reach, directly or not."""
    found: set[str] = set()
    pending = [name for response_type in operations.values() for name in referenced(response_type)]
    while pending:
        name = pending.pop()
        if name in found or name not in models:
            continue
        found.add(name)
        for prop in models[name].get("properties", {}).values():
            pending.extend(referenced(prop["type"]))
    return found


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
        for name in reachable(operations, schema["models"]):
            models.setdefault(name, trim(schema["models"][name]))
    missing = {f"{m} {p}" for m, p in wanted} - set(operations)
    if missing:
        raise SystemExit(f"operations not in the schema: {', '.join(sorted(missing))}")
    return {
        "about": ABOUT,
        "operations": dict(sorted(operations.items())),
        "parameters": dict(sorted(parameters.items())),
        "models": dict(sorted(models.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--schemas",
        type=Path,
        required=True,
        help="folder with OVH's cloud.json, auth.json, order.json, me.json, services.json",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="fail if --out differs; write nothing")
    args = parser.parse_args(argv)
    missing = [name for name in SOURCES if not (args.schemas / name).is_file()]
    if missing:
        parser.error(f"{args.schemas} lacks {', '.join(missing)}")
    extracted = extract(args.schemas)
    if args.check:
        if json.loads(args.out.read_text()) != extracted:
            print(f"{args.out} is out of date: run without --check", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(json.dumps(extracted, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
