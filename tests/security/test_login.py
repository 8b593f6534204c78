"""``otel-ovh login`` against the simulated OVH API: least-privilege rules, the key stored 0600 where
the settings find it, and usable once its validation URL has been opened."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import stat
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from otel_ovh.families import FAMILIES
from otel_ovh.settings.config import load_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.auth import rule_matches
from tests.security.support import clean_env, run_cli
from tests.support.ports import free_port

# Written out rather than imported: this is what a user agrees to when opening the validation URL.
EXPECTED_RULES = [
    {"method": "GET", "path": path}
    for path in (
        "/cloud/project",
        "/cloud/project/*",
        "/me/consumption/*",
        "/me/bill",
        "/me/bill/*",
        "/me/debtAccount",
        "/me/credit/balance",
        "/me/credit/balance/*",
        "/services",
        "/services/*",
    )
]
VALIDATION_URL = re.compile(r"http://\S+/auth/\?credentialToken=\S+")


@pytest.fixture
def sim() -> Iterator[SimulatedOvh]:
    simulator = SimulatedOvh(World(seed=5, shape=WorldShape(projects=2)), port=0).start()
    yield simulator
    simulator.stop()


def app_env(sim: SimulatedOvh, home: Path, **extra: str) -> dict[str, str]:
    """An application key and secret, no consumer key: what a user has before ``login``."""
    settings = {
        "OTEL_OVH_OVH__ENDPOINT": sim.url,
        "OTEL_OVH_OVH__APPLICATION_KEY": sim.auth.application_key,
        "OTEL_OVH_OVH__APPLICATION_SECRET": sim.auth.application_secret,
        "OTEL_OVH_COLLECT__MAX_CALLS_PER_SECOND": "0",
    }
    return clean_env(home, **{**settings, **extra})


def test_login_requests_read_only_rules_and_stores_the_key_for_the_settings(
    sim: SimulatedOvh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    env = app_env(sim, home)
    result = run_cli("login", env=env)
    assert result.returncode == 0, result.stdout + result.stderr

    url = VALIDATION_URL.search(result.stdout)
    assert url is not None, result.stdout
    secrets_file = home / ".config" / "otel-ovh" / "secrets.yaml"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_file.parent.stat().st_mode) == 0o700
    consumer_key = yaml.safe_load(secrets_file.read_text())["ovh"]["consumer_key"]
    assert consumer_key not in result.stdout + result.stderr  # the key is a secret: stored, never printed

    # What OVH received: exactly the read-only rules, one request, key pending.
    credential = sim.auth.credential(consumer_key)
    assert credential is not None and credential.rules == EXPECTED_RULES
    assert all(rule["path"] in result.stdout for rule in EXPECTED_RULES)  # the user is told what was asked
    # Nothing of the account beyond what the account family reads: not the account itself, its API
    # keys, payment means, debt details, other products or orders.
    outside = ("/me", "/me/api/credential", "/me/payment/method", "/me/debtAccount/debt", "/domain", "/order")
    reached = [(path, r) for path in outside for r in credential.rules if rule_matches(r["path"], path)]
    assert not reached
    assert credential.status == "pendingValidation"
    assert [(c.method, c.route) for c in sim.calls if c.method != "GET"] == [("POST", "/auth/credential")]

    # The settings find it in the default place (HOME is the temporary one).
    for name in [n for n in os.environ if n.startswith("OTEL_OVH_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.ovh.consumer_key is not None and settings.ovh.consumer_key.reveal() == consumer_key
    assert secrets_file in settings.source_files

    pending = run_cli("collect", "--once", "--format", "json", env=env)
    assert "INVALID_CREDENTIAL" in pending.stderr, pending.stderr  # not usable before validation

    with urllib.request.urlopen(url.group(0), timeout=10) as page:
        assert page.status == 200
    assert credential.status == "validated"
    done = run_cli("collect", "--once", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    points = json.loads(done.stdout)["points"]
    labelled = [row["attributes"] for row in points if "cloud.account.id" in row["attributes"]]
    projects = {attributes["cloud.account.id"] for attributes in labelled}
    assert projects == set(sim.world.project_ids)
    # Only the account-wide families' points carry no project: the price list, read from its public route
    # without any rule of the key (an unauthenticated route is never asked for), and the whole account's,
    # read with the account rules login asked for; their health beside them.
    account = {family.name for family in FAMILIES if family.account}
    account_metrics = {metric.name for family in FAMILIES if family.account for metric in family.metrics}
    account_metrics.add("otel_ovh.account.collection.success")
    assert account == {"catalog", "account"}
    assert {row["metric"] for row in points if "cloud.account.id" not in row["attributes"]} == account_metrics
    public = {route for family in FAMILIES for route in family.public_routes}
    assert public and sim.call_count(next(iter(public))) >= 1
    assert not any(fnmatch.fnmatchcase(route, rule["path"]) for route in public for rule in EXPECTED_RULES)


def test_login_keeps_other_secrets_and_tightens_a_loose_file(sim: SimulatedOvh, tmp_path: Path) -> None:
    """``--secrets`` names the file the settings read: the key goes there, the file ends up 0600."""
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text(
        yaml.safe_dump({"ovh": {"application_secret": sim.auth.application_secret, "consumer_key": "old"}})
    )
    secrets_file.chmod(0o644)
    env = app_env(sim, tmp_path / "home")
    del env["OTEL_OVH_OVH__APPLICATION_SECRET"]  # from the file only
    result = run_cli("login", "--secrets", str(secrets_file), "--force", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = yaml.safe_load(secrets_file.read_text())["ovh"]
    assert stored["application_secret"] == sim.auth.application_secret
    assert stored["consumer_key"] not in ("old", sim.auth.consumer_key)
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.yaml"]  # no temporary file left behind
    assert str(secrets_file) in result.stdout


def test_login_refused_is_one_line_without_secrets(sim: SimulatedOvh, tmp_path: Path) -> None:
    env = app_env(sim, tmp_path, OTEL_OVH_OVH__APPLICATION_KEY="unknown-application")
    result = run_cli("login", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("otel-ovh: OVH refused the consumer key request")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert sim.auth.application_secret not in result.stdout + result.stderr
    assert not (tmp_path / ".config").exists()


@pytest.mark.parametrize(
    ("endpoint", "words"),
    [("http://name-that-does-not-resolve.invalid/1.0", "the name does not resolve"), ("refused", "refused")],
)
def test_login_tells_an_unreachable_ovh_from_a_refusal(
    sim: SimulatedOvh, tmp_path: Path, endpoint: str, words: str
) -> None:
    if endpoint == "refused":
        endpoint = f"http://127.0.0.1:{free_port()}/1.0"  # nothing listens there
    result = run_cli("login", env=app_env(sim, tmp_path, OTEL_OVH_OVH__ENDPOINT=endpoint))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"otel-ovh: OVH is unreachable at {endpoint}: "), lines
    assert words in lines[0] and "refused the consumer key" not in lines[0]
    assert "Low HTTP request" not in lines[0] and "MaxRetryError" not in lines[0]
    assert not (tmp_path / ".config").exists()


def test_login_with_oauth2_points_to_the_iam_policy(sim: SimulatedOvh, tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        OTEL_OVH_OVH__ENDPOINT=sim.url,
        OTEL_OVH_OVH__CLIENT_ID=sim.auth.client_id,
        OTEL_OVH_OVH__CLIENT_SECRET=sim.auth.client_secret,
    )
    result = run_cli("login", env=env)
    assert result.returncode == 1 and "docs/security.md" in result.stderr
    assert sim.auth.client_secret not in result.stdout + result.stderr


def test_login_never_replaces_a_key_unless_forced(sim: SimulatedOvh, tmp_path: Path) -> None:
    secrets_file = tmp_path / "home" / ".config" / "otel-ovh" / "secrets.yaml"
    secrets_file.parent.mkdir(parents=True)
    secrets_file.write_text(yaml.safe_dump({"ovh": {"consumer_key": "the-real-one"}}))
    before = secrets_file.read_bytes()
    result = run_cli("login", env=app_env(sim, tmp_path / "home"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"otel-ovh: {secrets_file} already holds a consumer key; pass --force to replace it"
    ]
    assert secrets_file.read_bytes() == before
    assert [c for c in sim.calls if c.method != "GET"] == []  # no pending key requested either


def test_login_demo_writes_nothing_and_shows_no_dead_url(tmp_path: Path) -> None:
    home = tmp_path / "home"
    secrets_file = home / ".config" / "otel-ovh" / "secrets.yaml"
    secrets_file.parent.mkdir(parents=True)
    secrets_file.write_text(yaml.safe_dump({"ovh": {"consumer_key": "the-real-one"}}))
    secrets_file.chmod(0o600)
    before = secrets_file.read_bytes(), sorted(p.name for p in secrets_file.parent.iterdir())
    result = run_cli("login", "--demo", env=clean_env(home))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (secrets_file.read_bytes(), sorted(p.name for p in secrets_file.parent.iterdir())) == before
    assert "http://" not in result.stdout and "nothing was written" in result.stdout

    fresh = tmp_path / "fresh"
    assert run_cli("login", "--demo", env=clean_env(fresh)).returncode == 0
    assert not fresh.exists() or list(fresh.rglob("*")) == []


def test_backfill_never_writes_over_the_secrets_it_reads(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text(yaml.safe_dump({"ovh": {"consumer_key": "the-real-one"}}))
    before = secrets_file.read_bytes()
    result = run_cli(
        "backfill",
        "--demo",
        "--secrets",
        str(secrets_file),
        "--out",
        str(secrets_file),
        env=clean_env(tmp_path),
    )
    assert result.returncode == 2 and "settings file" in result.stderr, result.stderr
    assert secrets_file.read_bytes() == before
