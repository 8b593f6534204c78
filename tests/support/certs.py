"""Throw-away TLS material for tests: a private CA, a server certificate and a client certificate.

The bridge must verify collectors and be verified by Prometheus over TLS; testing that needs
certificates a test can trust selectively (the right CA succeeds, another CA fails). The venv has
no ``cryptography`` package, so the ``openssl`` command line (always present on Debian) is used.
Keys are ECDSA P-256: fast to generate and accepted by Python's ssl, gRPC (BoringSSL) and Go.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.errors import HarnessError
from tests.support.process import require_binary

OPENSSL = "openssl"


@dataclass(frozen=True)
class TlsMaterial:
    """Paths of PEM files made by ``make_tls_material``; the ``*_pem`` properties read them."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate, for clients that verify the server (or servers that verify clients)."""
        return self.ca_cert.read_bytes()

    @property
    def server_cert_pem(self) -> bytes:
        """The server certificate (SANs: the given DNS names and IPs, by default localhost, 127.0.0.1)."""
        return self.server_cert.read_bytes()

    @property
    def server_key_pem(self) -> bytes:
        """The server private key (PKCS#8, unencrypted)."""
        return self.server_key.read_bytes()

    @property
    def client_cert_pem(self) -> bytes:
        """The client certificate, signed by the same CA, for mutual TLS."""
        return self.client_cert.read_bytes()

    @property
    def client_key_pem(self) -> bytes:
        """The client private key (PKCS#8, unencrypted)."""
        return self.client_key.read_bytes()


def _openssl(args: Sequence[str], cwd: Path) -> None:
    """Run one openssl command, raising ``HarnessError`` with its stderr if it fails."""
    binary = require_binary(OPENSSL, "openssl", "install the Debian package 'openssl'")
    done = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise HarnessError(f"openssl {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")


def _issue(
    directory: Path,
    stem: str,
    subject: str,
    extensions: str,
    days: int,
) -> tuple[Path, Path]:
    """Make a key and a certificate signed by the CA in ``directory``; return (cert, key) paths."""
    key, csr, cert, ext = (directory / f"{stem}{suffix}" for suffix in (".key", ".csr", ".crt", ".ext"))
    ext.write_text(extensions, encoding="ascii")
    _openssl(
        [
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            key.name,
            "-out",
            csr.name,
            "-subj",
            subject,
        ],
        directory,
    )
    _openssl(
        [
            "x509",
            "-req",
            "-in",
            csr.name,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            cert.name,
            "-days",
            str(days),
            "-sha256",
            "-extfile",
            ext.name,
        ],
        directory,
    )
    return cert, key


def make_tls_material(
    directory: Path,
    *,
    dns_names: Sequence[str] = ("localhost",),
    ips: Sequence[str] = ("127.0.0.1",),
    days: int = 2,
) -> TlsMaterial:
    """Create a fresh CA plus a server and a client certificate under ``directory``.

    Each call makes a new, unrelated CA, so calling it twice gives the "wrong CA" a test needs.
    The server certificate carries ``dns_names`` and ``ips`` as SANs (clients check SANs, not CN).
    """
    directory.mkdir(parents=True, exist_ok=True)
    _openssl(
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            str(days),
            "-sha256",
            "-subj",
            "/CN=otel-ovh test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        directory,
    )
    sans = ",".join([f"DNS:{name}" for name in dns_names] + [f"IP:{ip}" for ip in ips])
    server_cert, server_key = _issue(
        directory,
        "server",
        f"/CN={dns_names[0] if dns_names else ips[0]}",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName={sans}\n",
        days,
    )
    client_cert, client_key = _issue(
        directory,
        "client",
        "/CN=otel-ovh test client",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        days,
    )
    return TlsMaterial(
        directory=directory,
        ca_cert=directory / "ca.crt",
        ca_key=directory / "ca.key",
        server_cert=server_cert,
        server_key=server_key,
        client_cert=client_cert,
        client_key=client_key,
    )
