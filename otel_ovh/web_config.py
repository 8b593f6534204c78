"""The Prometheus web-config file (``--web.config.file`` of node_exporter and friends): TLS and basic auth.

Same keys and meaning as the Prometheus exporter-toolkit, so an operator reuses the file (and the
bcrypt hashes) they already have. Checked at start-up; a wrong file is a settings error (exit 2).
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from otel_ovh.config import SettingsError

KEY = "prometheus.web_config_file"

_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "RequireAnyClientCert": ssl.CERT_REQUIRED,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
# Compared against when the user name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"otel-ovh-dummy", bcrypt.gensalt(rounds=10))


@dataclass(frozen=True)
class TlsConfig:
    cert_file: Path
    key_file: Path
    client_ca_file: Path | None
    client_auth: ssl.VerifyMode
    min_version: ssl.TLSVersion
    max_version: ssl.TLSVersion | None

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = self.min_version
        if self.max_version is not None:
            context.maximum_version = self.max_version
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=str(self.client_ca_file))
        context.verify_mode = self.client_auth
        return context


@dataclass
class BasicAuth:
    users: Mapping[str, bytes]  # name -> bcrypt hash
    _verified: set[bytes] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, user: str, password: str) -> bool:
        """bcrypt (constant time by design); a success is remembered as a digest so scrapes stay cheap."""
        token = hashlib.sha256(f"{user}\x00{password}".encode()).digest()
        with self._lock:
            if any(hmac.compare_digest(token, known) for known in self._verified):
                return True
        hashed = self.users.get(user)
        ok = (
            bcrypt.checkpw(password.encode(), hashed if hashed is not None else _DUMMY_HASH)
            and hashed is not None
        )
        if ok:
            with self._lock:
                self._verified.add(token)
        return ok


@dataclass(frozen=True)
class WebConfig:
    tls: TlsConfig | None = None
    basic_auth: BasicAuth | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SettingsError(KEY, f"{key} must be a mapping")
    return value


def _file(base: Path, value: Any, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise SettingsError(KEY, f"{key} must be a file path")
    path = (base / value).expanduser() if not Path(value).is_absolute() else Path(value)
    if not path.is_file():
        raise SettingsError(KEY, f"{key}: file {value!r} does not exist")
    return path


def load_web_config(path: Path) -> WebConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(KEY, f"cannot read {str(path)!r}: {str(exc).splitlines()[0]}") from None
    raw = _mapping(raw, "the file")
    unknown = set(raw) - {"tls_server_config", "basic_auth_users", "http_server_config"}
    if unknown:
        raise SettingsError(KEY, f"unknown key {sorted(unknown)[0]!r}")
    base = path.parent
    tls = None
    tls_raw = _mapping(raw.get("tls_server_config"), "tls_server_config")
    if tls_raw:
        client_auth = str(tls_raw.get("client_auth_type", "NoClientCert"))
        if client_auth not in _CLIENT_AUTH:
            raise SettingsError(KEY, f"tls_server_config.client_auth_type: unknown value {client_auth!r}")
        versions = {}
        for which, default in (("min_version", "TLS12"), ("max_version", None)):
            name = tls_raw.get(which, default)
            if name is not None and name not in _TLS_VERSIONS:
                raise SettingsError(KEY, f"tls_server_config.{which}: unknown TLS version {name!r}")
            versions[which] = _TLS_VERSIONS[name] if name is not None else None
        ca = tls_raw.get("client_ca_file")
        if client_auth == "RequireAndVerifyClientCert" and not ca:
            raise SettingsError(
                KEY, "tls_server_config.client_ca_file is needed to verify client certificates"
            )
        tls = TlsConfig(
            cert_file=_file(base, tls_raw.get("cert_file"), "tls_server_config.cert_file"),
            key_file=_file(base, tls_raw.get("key_file"), "tls_server_config.key_file"),
            client_ca_file=_file(base, ca, "tls_server_config.client_ca_file") if ca else None,
            client_auth=_CLIENT_AUTH[client_auth],
            min_version=versions["min_version"] or ssl.TLSVersion.TLSv1_2,
            max_version=versions["max_version"],
        )
        try:
            tls.context()
        except (ssl.SSLError, OSError) as exc:
            raise SettingsError(
                KEY, f"tls_server_config: cannot load the certificate or key: {exc}"
            ) from None
    basic_auth = None
    users_raw = _mapping(raw.get("basic_auth_users"), "basic_auth_users")
    if users_raw:
        users: dict[str, bytes] = {}
        for user, hashed in users_raw.items():
            if not isinstance(hashed, str) or not hashed.startswith(("$2a$", "$2b$", "$2y$")):
                raise SettingsError(KEY, f"basic_auth_users.{user}: must be a bcrypt hash ($2y$...)")
            users[str(user)] = hashed.encode()
        basic_auth = BasicAuth(users)
    headers_raw = _mapping(
        _mapping(raw.get("http_server_config"), "http_server_config").get("headers"),
        "http_server_config.headers",
    )
    return WebConfig(tls=tls, basic_auth=basic_auth, headers={str(k): str(v) for k, v in headers_raw.items()})
