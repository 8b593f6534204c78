"""No secret ever shows: not in logs at any level, command output, metrics, nor errors printed to the user.

Every command runs for real (subprocesses, ``--debug`` where it exists) against the simulated OVH API,
in both credential modes, including runs that fail because a credential is wrong (the wrong value is a
secret too: it is often a typo of the right one). Everything they print and every body served is
collected, then searched for every secret, as written, URL-encoded and as the base64 of a Basic header.
"""

from __future__ import annotations

import base64
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from otel_ovh.simulator.faults import Fault
from tests.security.support import (
    ROOT,
    basic,
    client_context,
    htpasswd_hash,
    request,
    run_cli,
    sim_env,
    start_serve,
    tls_section,
    write_web_config,
)
from tests.support.certs import make_tls_material

SCRAPE_USER = "prometheus"
SCRAPE_PASSWORD = "scrape-" + secrets.token_urlsafe(18)
WRONG_SCRAPE_PASSWORD = "scrape-wrong-" + secrets.token_urlsafe(18)
WRONG_APPLICATION_SECRET = "wrong-as-" + secrets.token_hex(12)
WRONG_CONSUMER_KEY = "wrong-ck-" + secrets.token_hex(12)
WRONG_CLIENT_SECRET = "wrong-cs-" + secrets.token_hex(12)


class Transcript:
    """Everything the runs printed or served, by run name."""

    def __init__(self) -> None:
        self.parts: dict[str, str] = {}

    def add(self, name: str, text: str | bytes) -> None:
        self.parts[name] = text.decode(errors="replace") if isinstance(text, bytes) else text

    def run(self, name: str, *args: str, env: dict[str, str], expect: int | None) -> str:
        """Run the CLI; ``expect`` is its exit code (None: not checked here, see the test that does)."""
        result = run_cli(*args, env=env)
        self.add(f"{name} stdout", result.stdout)
        self.add(f"{name} stderr", result.stderr)
        printed = result.stdout + result.stderr
        assert expect in (None, result.returncode), f"{name}: exit {result.returncode}\n{printed}"
        return printed


def forbidden(sim: SimulatedOvh) -> dict[str, str]:
    """Each secret, and the encodings under which a careless log line would carry it."""
    values = {
        "application secret": sim.auth.application_secret,
        "consumer key": sim.auth.consumer_key,
        "client secret": sim.auth.client_secret,
        "basic-auth password": SCRAPE_PASSWORD,
        "wrong basic-auth password": WRONG_SCRAPE_PASSWORD,
        "wrong application secret": WRONG_APPLICATION_SECRET,
        "wrong consumer key": WRONG_CONSUMER_KEY,
        "wrong client secret": WRONG_CLIENT_SECRET,
    }
    encoded = {f"{name} (url-encoded)": quote(value, safe="") for name, value in values.items()}
    headers = {
        "basic-auth header": basic(SCRAPE_USER, SCRAPE_PASSWORD)["Authorization"].split()[1],
        "wrong basic-auth header": basic(SCRAPE_USER, WRONG_SCRAPE_PASSWORD)["Authorization"].split()[1],
        "oauth2 client header": base64.b64encode(
            f"{sim.auth.client_id}:{sim.auth.client_secret}".encode()
        ).decode(),
    }
    return {**values, **encoded, **headers}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedOvh]:
    simulator = SimulatedOvh(World(seed=77, shape=WorldShape(projects=2)), port=0).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def transcript(sim: SimulatedOvh, tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    """Run everything once; the tests below only search the result."""
    home = tmp_path_factory.mktemp("home")
    pki = make_tls_material(tmp_path_factory.mktemp("pki"))
    web = write_web_config(
        home / "web.yml",
        {
            "tls_server_config": tls_section(pki),
            "basic_auth_users": {SCRAPE_USER: htpasswd_hash(SCRAPE_PASSWORD)},
        },
    )
    out = Transcript()
    keys = sim_env(sim, home)
    oauth2 = sim_env(sim, home, oauth2=True)
    with_web = {**keys, "OTEL_OVH_PROMETHEUS__WEB_CONFIG_FILE": str(web)}

    # serve, DEBUG, TLS + basic auth; OVH answers some 500s so that the retry path logs too.
    sim.faults.add(Fault(path="*quota*", status=500, times=4))
    served = start_serve(home / "serve-keys", with_web, "--debug", context=client_context(pki))
    try:
        tls = client_context(pki)
        good_auth, wrong_auth = basic(SCRAPE_USER, SCRAPE_PASSWORD), basic(SCRAPE_USER, WRONG_SCRAPE_PASSWORD)
        good = request("127.0.0.1", served.port, context=tls, headers=good_auth)
        assert good.status == 200 and b"ovh_cloud_project_info" in good.body, good
        out.add("/metrics body", good.body)
        probe = f"/probe?target={sim.world.project_ids[0]}"
        out.add("/probe body", request("127.0.0.1", served.port, probe, context=tls, headers=good_auth).body)
        refused = request("127.0.0.1", served.port, context=tls, headers=wrong_auth)
        assert refused.status == 401
        out.add("401 body", refused.body)
    finally:
        served.stop()
    out.add("serve (keys) output", served.output())
    sim.faults.clear()

    # serve, DEBUG, OAuth2, plain HTTP
    served = start_serve(home / "serve-oauth2", oauth2, "--debug")
    try:
        answer = request("127.0.0.1", served.port)
        assert answer.status == 200 and b"ovh_cloud_project_info" in answer.body
        out.add("/metrics body (oauth2)", answer.body)
    finally:
        served.stop()
    out.add("serve (oauth2) output", served.output())

    for fmt in ("table", "json", "prometheus"):
        out.run(f"collect {fmt}", "collect", "--once", "--debug", "--format", fmt, env=keys, expect=0)
    out.run("collect oauth2", "collect", "--once", "--debug", "--format", "json", env=oauth2, expect=0)
    shown = out.run("check-config", "check-config", "--debug", env=with_web, expect=0)
    assert "basic auth (1 user(s))" in shown
    out.run("check-config oauth2", "check-config", "--debug", env=oauth2, expect=0)

    # Failing runs: the error reaches the user, the wrong secret does not.
    failed = out.run(
        "collect, wrong application secret",
        "collect", "--once", "--debug",
        env={**keys, "OTEL_OVH_OVH__APPLICATION_SECRET": WRONG_APPLICATION_SECRET},
        expect=None,
    )
    assert "INVALID_SIGNATURE" in failed, failed
    failed = out.run(
        "check-config, wrong consumer key",
        "check-config",
        env={**keys, "OTEL_OVH_OVH__CONSUMER_KEY": WRONG_CONSUMER_KEY},
        expect=1,
    )
    assert "the credentials do not work" in failed, failed
    failed = out.run(
        "collect, wrong client secret",
        "collect", "--once", "--debug", "--format", "prometheus",
        env={**oauth2, "OTEL_OVH_OVH__CLIENT_SECRET": WRONG_CLIENT_SECRET},
        expect=None,
    )
    assert "OAuth2" in failed or "invalid_client" in failed, failed
    out.run(
        "check-config, wrong client secret",
        "check-config", "--debug",
        env={**oauth2, "OTEL_OVH_OVH__CLIENT_SECRET": WRONG_CLIENT_SECRET},
        expect=1,
    )
    return out


def test_every_run_happened(transcript: Transcript) -> None:
    """The search below means something only if the runs produced output (logs at DEBUG included)."""
    serve_log = transcript.parts["serve (keys) output"]
    assert " DEBUG " in serve_log and "retrying" in serve_log, serve_log[-3000:]
    assert " DEBUG " in transcript.parts["serve (oauth2) output"]
    assert len(transcript.parts) >= 25


def test_no_secret_anywhere(sim: SimulatedOvh, transcript: Transcript) -> None:
    leaks = [
        f"{secret_name} in {part}"
        for secret_name, value in forbidden(sim).items()
        for part, text in transcript.parts.items()
        if value in text
    ]
    assert not leaks, "\n".join(leaks)


def test_uncaught_exceptions_are_redacted_too(tmp_path: Path) -> None:
    """Python prints uncaught exceptions (main thread with --debug, or any thread) straight to stderr;
    after configure_logging they go through the redacting handler instead."""
    secret = "s3/cr+t=" + secrets.token_hex(8)  # characters that URL encoding changes
    code = f"""
import logging, threading
from otel_ovh.logs import configure_logging
configure_logging("DEBUG", [{secret!r}])
logging.getLogger("urllib3").warning("POST body client_secret=%s", {quote(secret, safe='')!r})
logging.getLogger("ovh").debug("signed with %s", {secret!r}, stack_info=True)
try:
    raise ValueError("bad key {secret}")
except ValueError:
    logging.getLogger("otel_ovh").exception("failed")
worker = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError("thread {secret}")))
worker.start(); worker.join()
raise RuntimeError("main {secret}")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert secret not in result.stderr + result.stdout, result.stderr
    assert quote(secret, safe="") not in result.stderr, result.stderr
    assert result.stderr.count("***") >= 5, result.stderr
    assert "thread ***" in result.stderr and "main ***" in result.stderr
