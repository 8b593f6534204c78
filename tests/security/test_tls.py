"""TLS on the metrics endpoint: mutual TLS, minimum versions, and clients that do it wrong.

The failure cases matter as much as the success: a client without a certificate under
``RequireAndVerifyClientCert`` gets nothing, plain HTTP on the TLS port gets a clear 400, a client that
stalls its handshake blocks nobody else, and none of them leaves a traceback on the server's stderr.
"""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path

import pytest

from otel_ovh.settings.web_config import load_web_config
from tests.security.conftest import ServerFactory
from tests.security.support import DATA_MARKERS, METRIC_TEXT, client_context, tls_section, write_web_config
from tests.support.certs import TlsMaterial, make_tls_material

GET = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def tls_get(port: int, context: ssl.SSLContext) -> tuple[str | None, bytes]:
    """GET /metrics over TLS; (negotiated version, whole answer). Raises if the server refuses."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        version = tls.version()
        tls.sendall(GET)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
        return version, b"".join(chunks)


def assert_refused(port: int, context: ssl.SSLContext) -> None:
    """The server must end the connection without an answer (with TLS 1.3 the client's handshake can
    finish before the server checks its certificate, so the refusal may arrive on the first read)."""
    try:
        _, answer = tls_get(port, context)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return
    assert answer == b"", f"the server answered a client it should have refused: {answer[:200]!r}"


def server_with(metrics_server: ServerFactory, path: Path, pki: TlsMaterial, **tls: str) -> int:
    web = load_web_config(write_web_config(path, {"tls_server_config": tls_section(pki, **tls)}))
    server = metrics_server(web)
    assert server.url.startswith("https://")
    return server.port


def mtls_server(metrics_server: ServerFactory, tmp_path: Path, pki: TlsMaterial, client_auth: str) -> int:
    return server_with(
        metrics_server,
        tmp_path / "web.yml",
        pki,
        client_auth_type=client_auth,
        client_ca_file=str(pki.ca_cert),
    )


def foreign_client(tmp_path: Path, pki: TlsMaterial) -> ssl.SSLContext:
    """A client that trusts the server but presents a certificate from another CA."""
    stranger = make_tls_material(tmp_path / "other-ca")
    context = client_context(pki)
    context.load_cert_chain(str(stranger.client_cert), str(stranger.client_key))
    return context


def test_mutual_tls_requires_a_certificate_from_the_client_ca(
    metrics_server: ServerFactory,
    tmp_path: Path,
    tls_material: TlsMaterial,
    capfd: pytest.CaptureFixture[str],
) -> None:
    port = mtls_server(metrics_server, tmp_path, tls_material, "RequireAndVerifyClientCert")
    _, answer = tls_get(port, client_context(tls_material, client_cert=True))
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(METRIC_TEXT)

    assert_refused(port, client_context(tls_material))  # no client certificate
    assert_refused(port, foreign_client(tmp_path, tls_material))  # a certificate, but from another CA

    _, again = tls_get(port, client_context(tls_material, client_cert=True))  # the server lives on
    assert again.startswith(b"HTTP/1.1 200")
    assert "Traceback" not in capfd.readouterr().err


def test_optional_client_certificates_are_verified_when_given(
    metrics_server: ServerFactory, tmp_path: Path, tls_material: TlsMaterial
) -> None:
    port = mtls_server(metrics_server, tmp_path, tls_material, "VerifyClientCertIfGiven")
    assert tls_get(port, client_context(tls_material))[1].startswith(b"HTTP/1.1 200")
    assert tls_get(port, client_context(tls_material, client_cert=True))[1].startswith(b"HTTP/1.1 200")
    assert_refused(port, foreign_client(tmp_path, tls_material))


def test_tls13_only(metrics_server: ServerFactory, tmp_path: Path, tls_material: TlsMaterial) -> None:
    port = server_with(metrics_server, tmp_path / "web.yml", tls_material, min_version="TLS13")
    version, answer = tls_get(port, client_context(tls_material))
    assert version == "TLSv1.3" and answer.startswith(b"HTTP/1.1 200")
    with pytest.raises(ssl.SSLError):
        tls_get(port, client_context(tls_material, maximum=ssl.TLSVersion.TLSv1_2))


def test_plain_http_on_the_tls_port_fails_cleanly(
    metrics_server: ServerFactory,
    tmp_path: Path,
    tls_material: TlsMaterial,
    capfd: pytest.CaptureFixture[str],
) -> None:
    port = server_with(metrics_server, tmp_path / "web.yml", tls_material)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
        plain.sendall(GET)
        answer = b"".join(iter(lambda: plain.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"HTTP request to an HTTPS server" in answer
    assert not any(marker in answer for marker in DATA_MARKERS)
    assert tls_get(port, client_context(tls_material))[1].startswith(b"HTTP/1.1 200")
    assert "Traceback" not in capfd.readouterr().err


def test_a_stalled_handshake_blocks_nobody(
    metrics_server: ServerFactory, tmp_path: Path, tls_material: TlsMaterial
) -> None:
    """Clients that connect and stall (silent, or half a ClientHello) must not hold the accept loop:
    the handshake timeout is 10 s, so a blocked loop would make the real client wait that long."""
    port = server_with(metrics_server, tmp_path / "web.yml", tls_material)
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
    stalled[1].sendall(b"\x16\x03\x01\x02\x00\x01")  # a TLS record header and one byte of ClientHello
    try:
        time.sleep(0.2)
        started = time.monotonic()
        _, answer = tls_get(port, client_context(tls_material))
        elapsed = time.monotonic() - started
    finally:
        for sock in stalled:
            sock.close()
    assert answer.startswith(b"HTTP/1.1 200")
    assert elapsed < 5, f"a good client waited {elapsed:.1f}s behind stalled handshakes"
