"""Helpers for the security tests: web-config files, bcrypt hashes, raw HTTP(S) clients, CLI runs.

The clients are deliberately low level (``http.client`` and ``ssl``) so that a test controls exactly
what is sent: a malformed ``Authorization`` header, no client certificate, a TLS 1.2-only handshake.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from otel_ovh.simulator import SimulatedOvh
from tests.support.certs import TlsMaterial
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "0123456789abcdef0123456789abcdef"
# What the in-process server renders: a metric line a test can look for in any response body.
METRIC_TEXT = (
    "# HELP ovh_cloud_cost_total Month-to-date cost.\n"
    "# TYPE ovh_cloud_cost_total counter\n"
    f'ovh_cloud_cost_total{{cloud_account_id="{PROJECT}",ovh_currency="EUR"}} 12.5\n'
).encode()
DATA_MARKERS = (b"ovh_cloud_cost_total", PROJECT.encode(), b"12.5")
# Well-formed credentials for runs that must fail before any OVH call (or make none).
FAKE_KEYS = {
    "application_key": "ak-0123456789",
    "application_secret": "as-0123456789",
    "consumer_key": "ck-0123456789",
}


def htpasswd_hash(password: str, rounds: int = 4) -> str:
    """A bcrypt hash as ``htpasswd -B`` writes it (``$2y$``); low cost keeps the tests fast."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()
    return "$2y$" + hashed[4:]


def write_web_config(path: Path, content: dict[str, Any] | str) -> Path:
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")
    return path


def tls_section(pki: TlsMaterial, **extra: Any) -> dict[str, Any]:
    return {"cert_file": str(pki.server_cert), "key_file": str(pki.server_key), **extra}


def client_context(
    pki: TlsMaterial,
    *,
    client_cert: bool = False,
    maximum: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    """A client trusting the test CA, optionally presenting the client certificate."""
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    if client_cert:
        context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    if maximum is not None:
        context.maximum_version = maximum
    return context


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    url_host: str,
    port: int,
    path: str = "/metrics",
    *,
    context: ssl.SSLContext | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Answer:
    """One GET; HTTPS when a context is given. Raises what the connection raises (ssl errors included)."""
    connection: http.client.HTTPConnection
    if context is not None:
        connection = http.client.HTTPSConnection(url_host, port, context=context, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(url_host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def basic(user: str, password: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# --------------------------------------------------------------------------------------------------
# The CLI in a subprocess


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """Only PATH, a private HOME and what the test gives: no stray OVH_* or OTEL_* from the caller."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


def sim_env(sim: SimulatedOvh, home: Path, *, oauth2: bool = False, **extra: str) -> dict[str, str]:
    credentials = sim.oauth2_credentials if oauth2 else sim.credentials
    env = clean_env(home, OTEL_OVH_OVH__ENDPOINT=sim.url)
    env.update({f"OTEL_OVH_OVH__{key.upper()}": value for key, value in credentials.items()})
    env["OTEL_OVH_COLLECT__MAX_CALLS_PER_SECOND"] = "0"
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_ovh", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@dataclass
class Served:
    """A running ``otel-ovh serve``; its stdout and stderr go to files read after it stops."""

    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def raw_answer(port: int, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # The server may refuse before everything is sent; its answer is what counts.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def memory(served: Served, key: str = "VmRSS") -> int:
    """Bytes of the server's memory as ``/proc`` tells it: ``VmRSS`` now, ``VmHWM`` at its peak."""
    status = Path(f"/proc/{served.process.pid}/status").read_text()
    match = re.search(rf"{key}:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) * 1024


def start_serve(
    workdir: Path,
    env: dict[str, str],
    *args: str,
    context: ssl.SSLContext | None = None,
    ready: bool = True,
    timeout: float = 40,
) -> Served:
    """Start ``serve`` on a free port and wait up to ``timeout`` for /readyz (over TLS when ``context`` is
    given), unless ``ready`` is False.

    A server that does not come up fails the test with its output: never a skip.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    stdout, stderr = workdir / "serve.out", workdir / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_ovh", "serve", *args],
            cwd=ROOT,
            stdout=out,
            stderr=err,
            env={**env, "OTEL_OVH_PROMETHEUS__PORT": str(port)},
        )
    served = Served(process, port, stdout, stderr)
    if not ready:
        return served
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"otel-ovh serve exited with {process.returncode}:\n{served.output()}")
        try:
            if request("127.0.0.1", port, "/readyz", context=context, timeout=2).status == 200:
                return served
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    served.stop()
    raise AssertionError(f"otel-ovh serve was not ready within {timeout:g} s:\n{served.output()}")
