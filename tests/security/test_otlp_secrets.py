"""OTLP header values stay secret from every source (``otlp.headers``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_EXPORTER_OTLP_METRICS_HEADERS``), even when the collector quotes them back in its refusal, and no
request's query string reaches a log: all at DEBUG, against the real ``serve`` and ``check-config``."""

from __future__ import annotations

import secrets
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.security.support import request, run_cli, sim_env, start_serve
from tests.support.otlp_receiver import OtlpGrpcReceiver, OtlpHttpReceiver, OtlpReceiver
from tests.support.waiting import wait_until

SOURCES = ("otlp.headers", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS")
PROTOCOLS = {"grpc": OtlpGrpcReceiver, "http/protobuf": OtlpHttpReceiver}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedOvh]:
    simulator = SimulatedOvh(World(seed=5, shape=WorldShape(projects=1)), port=0).start()
    yield simulator
    simulator.stop()


def headers_from(source: str, headers: dict[str, str], home: Path) -> tuple[dict[str, str], list[str]]:
    """(environment, arguments) that give ``headers`` through ``source``."""
    if source == "otlp.headers":
        config = home / "config.yaml"
        config.write_text(yaml.safe_dump({"otlp": {"headers": headers}}), encoding="utf-8")
        return {}, ["--config", str(config)]
    return {source: ",".join(f"{name}={quote(value)}" for name, value in headers.items())}, []


def leaks(text: str, values: dict[str, str]) -> list[str]:
    found = []
    for name, value in values.items():
        for form in {value, quote(value, safe=""), quote(value)}:
            if form in text:
                found.append(name)
    return found


def bad_request_line(port: int, target: str) -> None:
    """A request line the server must refuse (three words then junk), with a secret in its query."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(f"GET {target} HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode())
        conn.recv(4096)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("source", SOURCES)
def test_otlp_header_values_never_shown_even_when_the_collector_quotes_them(
    source: str, protocol: str, sim: SimulatedOvh, tmp_path: Path
) -> None:
    token = "tok" + secrets.token_hex(12)
    tenant = "tenant-" + secrets.token_hex(6)
    expected = "right" + secrets.token_hex(8)  # the collector's own: not ours, yet it quotes it too
    in_query = "q" + secrets.token_hex(10)
    values = {"token": token, "tenant": tenant, "collector's token": expected, "query value": in_query}
    sent = {"authorization": f"Bearer {token}", "x-scope-orgid": tenant}
    receiver: OtlpReceiver = PROTOCOLS[protocol](required_headers={"authorization": f"Bearer {expected}"})
    receiver.set_refusal_message(
        f"invalid token {token} for tenant {tenant}: got Bearer {token}, want Bearer {expected}"
    )
    extra_env, args = headers_from(source, sent, tmp_path)
    env = sim_env(
        sim,
        tmp_path,
        OTEL_OVH_OTLP__ENABLED="true",
        OTEL_OVH_OTLP__PROTOCOL=protocol,
        OTEL_OVH_OTLP__ENDPOINT=receiver.endpoint,
        OTEL_OVH_OTLP__INTERVAL="1",
    )
    env.update(extra_env)
    with receiver:
        served = start_serve(tmp_path / "serve", env, "--debug", *args)
        try:
            attempts = receiver.wait_for_attempts(2, timeout=20)
            assert attempts[0].headers.get("x-scope-orgid") == tenant  # the header went where it must
            pid = sim.world.project_ids[0]
            for target in (f"/metrics?q={in_query}", f"/probe?target={pid}&q={in_query}", f"/x?q={in_query}"):
                request("127.0.0.1", served.port, target)
            bad_request_line(served.port, f"/metrics?q={in_query}")
            wait_until(
                served.output,
                lambda out: "OTLP export to" in out and "failed" in out,
                timeout=20,
                what="the export failure logged",
            )
            served.process.send_signal(signal.SIGHUP)  # a reload logs the settings path once more
            wait_until(served.output, lambda out: "settings reloaded" in out, timeout=20, what="reload")
        finally:
            served.stop()
    checked = run_cli("check-config", "--debug", *args, env=env)
    output = served.output() + checked.stdout + checked.stderr
    assert " DEBUG " in served.output() and checked.returncode == 0, output[-3000:]
    failure = next(line for line in output.splitlines() if "OTLP export to" in line and "failed" in line)
    assert "invalid token ***" in failure, failure  # the collector's words reach the log, masked
    assert not leaks(output, values), f"{leaks(output, values)} shown:\n{output[-3000:]}"


@pytest.mark.parametrize("variable", SOURCES[1:])
def test_an_unreadable_header_variable_is_refused_by_name_without_its_value(
    variable: str, sim: SimulatedOvh, tmp_path: Path
) -> None:
    """The SDK would drop the entry with a warning quoting it whole, before any masking is set up."""
    token = "tok" + secrets.token_hex(12)
    env = sim_env(sim, tmp_path, OTEL_OVH_OTLP__ENABLED="true")
    env[variable] = f'authorization=Bearer "{token}";x'
    for command in ("check-config", "serve"):
        result = run_cli(command, "--debug", env=env, timeout=30)
        printed = result.stdout + result.stderr
        assert result.returncode == 2, printed
        assert variable in printed and "'authorization'" in printed, printed
        assert token not in printed and "Traceback" not in printed, printed


def test_otlp_headers_setting_without_a_value_is_refused_without_showing_it(
    sim: SimulatedOvh, tmp_path: Path
) -> None:
    token = "tok" + secrets.token_hex(12)
    env = sim_env(sim, tmp_path, OTEL_OVH_OTLP__ENABLED="true", OTEL_OVH_OTLP__HEADERS=f"Bearer {token}")
    result = run_cli("check-config", env=env, timeout=30)
    printed = result.stdout + result.stderr
    assert result.returncode == 2 and "otlp.headers" in printed, printed
    assert token not in printed, printed
