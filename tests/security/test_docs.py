"""docs/security.md stays true: its web-config example loads, and its rights table covers every call."""

from __future__ import annotations

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
    row = re.compile(r"^\| `(/cloud/project[^`]*)` \|[^|]*\| `(publicCloudProject:apiovh:[^`]+)` \|$", re.M)
    rows = dict(row.findall(DOC))
    public = {route for family in FAMILIES for route in family.public_routes}
    every = {PROJECTS} | {route for family in FAMILIES for route in (*family.routes, *family.history_routes)}
    called = every - public
    assert called <= set(rows), f"routes missing from docs/security.md: {sorted(called - set(rows))}"
    # a route the product declares public (sent unsigned) is documented as needing no right, and only it
    public_row = re.compile(r"^\| `([^`]+)` \|[^|]*\| none: a public route, sent unsigned[^|]*\|$", re.M)
    assert set(public_row.findall(DOC)) == public
    assert not public & set(rows)
    policy = set(re.findall(r'\{"action": "(publicCloudProject:apiovh:[^"]+)"\}', DOC))
    assert set(rows.values()) == policy  # the example policy grants exactly the documented actions


def test_the_documented_consumer_key_rules_are_the_ones_requested() -> None:
    rules = re.search(r"```json\n(\[\{\"method\".*?\])\n```", DOC)
    assert rules is not None
    assert json.loads(rules.group(1)) == list(LOGIN_RULES)
