"""A collector that requires TLS and a tenant header: the right settings push, wrong ones fail clearly.

Configured the way a deployment does it, with the standard variables only
(``OTEL_EXPORTER_OTLP_CERTIFICATE``, ``OTEL_EXPORTER_OTLP_HEADERS``). Over HTTP the machine-wide
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` are set as well, as in most container images: they must not
override the configured CA.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from otel_ovh.simulator import SimulatedOvh, World
from tests.e2e.conftest import ROOT, sim_env
from tests.e2e.test_otlp_common import (
    COST,
    OUTAGE_LINE,
    RECOVERY_LINE,
    has_every_project,
    otlp_env,
    serving,
    settle,
    wait_for_log,
)
from tests.support.certs import TlsMaterial, make_tls_material
from tests.support.otlp_receiver import OtlpGrpcReceiver, OtlpHttpReceiver, OtlpReceiver

TENANT = {"x-scope-orgid": "tenant-1", "authorization": "Bearer t0k"}
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _receiver(transport: str, tls: TlsMaterial, port: int | None = None) -> OtlpReceiver:
    cls = OtlpGrpcReceiver if transport == "grpc" else OtlpHttpReceiver
    return cls(tls=tls, required_headers=TENANT, port=port)


def _refused(receiver: OtlpReceiver) -> int:
    return sum(not a.accepted for a in receiver.attempts())


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_tls_and_tenant_header_then_wrong_header_then_wrong_ca(
    transport: str, simulator: SimulatedOvh, frozen_world: World, tmp_path: Path
) -> None:
    ours = make_tls_material(tmp_path / "ours")
    stranger = make_tls_material(tmp_path / "stranger")  # a CA our client does not trust
    receiver = _receiver(transport, ours)
    receiver.start()
    try:
        env = otlp_env(
            receiver,
            OTEL_EXPORTER_OTLP_CERTIFICATE=str(ours.ca_cert),
            # URL-encoded as the specification asks; the header name's case does not matter.
            OTEL_EXPORTER_OTLP_HEADERS="X-Scope-OrgID=tenant-1,Authorization=Bearer%20t0k",
            REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE,
            CURL_CA_BUNDLE=SYSTEM_BUNDLE,
        )
        assert env["OTEL_OVH_OTLP__ENDPOINT"].startswith("https://")
        with serving(simulator, tmp_path / "serve", **env) as serve:
            # 1. Right CA, right headers: the data arrives.
            receiver.wait_for(has_every_project(frozen_world), timeout=20)
            accepted = [a for a in receiver.attempts() if a.accepted]
            assert all(a.headers.get(k) == v for a in accepted for k, v in TENANT.items())
            assert not OUTAGE_LINE.search(serve.log())

            # 2. The collector now wants another tenant: refused, logged once, with the reason.
            receiver.require_headers({**TENANT, "x-scope-orgid": "tenant-2"})
            (line,) = wait_for_log(serve, OUTAGE_LINE)
            assert ("UNAUTHENTICATED" if transport == "grpc" else "401") in line, line
            refused = _refused(receiver)
            settle(2.5)
            assert _refused(receiver) > refused, "it keeps trying every interval"
            assert len(wait_for_log(serve, OUTAGE_LINE)) == 1, "one line per outage, not per attempt"
            receiver.require_headers(TENANT)
            wait_for_log(serve, RECOVERY_LINE)

            # 3. The collector comes back with a certificate from a CA we do not trust.
            port = receiver.port
            receiver.stop()
            receiver = _receiver(transport, stranger, port=port)
            receiver.start()
            lines = wait_for_log(serve, OUTAGE_LINE, count=2)
            assert "CERTIFICATE_VERIFY_FAILED" in lines[1], lines[1]
            assert not receiver.requests(), "nothing is sent to a collector we cannot verify"
            # gRPC's C core would print each failed handshake to stderr; only our line remains.
            assert "Handshake failed" not in serve.log()
            assert "ssl_transport_security" not in serve.log()

            receiver.stop()
            receiver = _receiver(transport, ours, port=port)
            receiver.start()
            wait_for_log(serve, RECOVERY_LINE, count=2)
            receiver.wait_for_metric(COST, timeout=10)
    finally:
        receiver.stop()


def test_missing_certificate_file_is_a_settings_error(simulator: SimulatedOvh, tmp_path: Path) -> None:
    env = sim_env(
        simulator,
        tmp_path,
        **otlp_env(None, OTEL_EXPORTER_OTLP_CERTIFICATE=str(tmp_path / "absent.pem")),
    )
    done = subprocess.run(
        [sys.executable, "-m", "otel_ovh", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "OTEL_EXPORTER_OTLP_CERTIFICATE" in done.stderr and "absent.pem" in done.stderr
    assert "Traceback" not in done.stderr
