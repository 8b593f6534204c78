"""docs/security.md stays true: its web-config example loads, and its rights table covers every call."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil

from otel_ovh.commands.login import LOGIN_RULES
from otel_ovh.families import FAMILIES
from otel_ovh.ovh.discovery import PROJECTS
from otel_ovh.settings.web_config import load_web_config
from tests.security.support import ROOT
from tests.support.certs import TlsMaterial

DOC = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")


def test_the_documented_web_config_loads(tls_material: TlsMaterial) -> None:
    example = re.search(r"```yaml\n(# /etc/otel-ovh/web.yml.*?)```", DOC, re.S)
    assert example is not None
    directory = tls_material.directory
    shutil.copy(tls_material.ca_cert, directory / "clients-ca.crt")
    path = directory / "web.yml"
    path.write_text(example.group(1), encoding="utf-8")
    web = load_web_config(path)
    assert web.tls is not None and web.basic_auth is not None and set(web.basic_auth.users) == {"prometheus"}


def test_every_route_the_exporter_calls_has_its_iam_action_documented() -> None:
    # The projects' routes and the account's (whose rows add the schema operation the action comes from).
    row = re.compile(
        r"^\| `(/(?:cloud/project|me|services)[^`]*)` \|[^|]*"
        r"\| `((?:publicCloudProject|account):apiovh:[^`]+)` \|"
        r"(?: OVH's API schema \w+\.json, operation GET (/[^ |]+) \|)?$",
        re.M,
    )
    found = row.findall(DOC)
    rows = {route: action for route, action, _ in found}
    assert all(operation in ("", route) for route, _, operation in found), "a row names another operation"
    public = {route for family in FAMILIES for route in family.public_routes}
    every = {PROJECTS} | {route for family in FAMILIES for route in (*family.routes, *family.history_routes)}
    called = every - public
    assert called <= set(rows), f"routes missing from docs/security.md: {sorted(called - set(rows))}"
    # a route the product declares public (sent unsigned) is documented as needing no right, and only it
    public_row = re.compile(r"^\| `([^`]+)` \|[^|]*\| none: a public route, sent unsigned[^|]*\|$", re.M)
    assert set(public_row.findall(DOC)) == public
    assert not public & set(rows)
    policy = set(re.findall(r'\{"action": "((?:publicCloudProject|account):apiovh:[^"]+)"\}', DOC))
    assert set(rows.values()) == policy  # the example policy grants exactly the documented actions


def test_the_documented_consumer_key_rules_are_the_ones_requested() -> None:
    rules = re.search(r"```json\n(\[\{\"method\".*?\])\n```", DOC)
    assert rules is not None
    assert json.loads(rules.group(1)) == list(LOGIN_RULES)


def test_the_consumer_key_reaches_every_documented_route() -> None:
    """Each route of the rights tables is readable with the key ``login`` asks for (OVH's ``*`` also
    matches slashes), so a user who ran ``login`` misses no right the docs say the exporter needs."""
    routes = re.findall(r"^\| `(/(?:cloud/project|me|services)[^`]*)` \| [^|]*\| `[^`]+:apiovh:", DOC, re.M)
    assert len(routes) >= 30
    paths = [re.sub(r"\{\w+\}", "an-id", route) for route in routes]
    unreachable = [p for p in paths if not any(fnmatch.fnmatchcase(p, rule["path"]) for rule in LOGIN_RULES)]
    assert not unreachable
    assert all(rule["method"] == "GET" for rule in LOGIN_RULES)
