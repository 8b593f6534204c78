"""The Prometheus web-config file (``--web.config.file`` of node_exporter and friends): TLS and basic auth.

Same keys and meaning as the Prometheus exporter-toolkit, so an operator reuses the file (and the
bcrypt hashes) they already have. Checked at start-up; a wrong file is a settings error (exit 2) whose
message names ``prometheus.web_config_file`` and the key inside the file.

Where Python's TLS stack cannot do what a key asks (accept a client certificate without verifying it,
Go cipher-suite names, SAN allow-lists), the key is refused rather than ignored: a security setting that
is silently dropped is worse than one that stops the start.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from otel_ovh.settings.config import SettingsError

KEY = "prometheus.web_config_file"

_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
# Only the modes Python's ssl can honour exactly. It verifies every certificate it asks for, so the
# toolkit's "ask (or require) but do not verify" modes have no faithful equivalent.
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_CLIENT_AUTH_UNSUPPORTED = ("RequestClientCert", "RequireAnyClientCert")
_TLS_KEYS = (
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "min_version",
    "max_version",
    "prefer_server_cipher_suites",
)
_TLS_UNSUPPORTED = {
    "cert": "inline certificates are not supported, use cert_file",
    "key": "inline keys are not supported, use key_file",
    "client_ca": "an inline client CA is not supported, use client_ca_file",
    "cipher_suites": "not supported (OpenSSL's defaults for the TLS version are used)",
    "curve_preferences": "not supported (OpenSSL's defaults are used)",
    "client_allowed_sans": "not supported: restrict clients with a dedicated client_ca_file instead",
}
# The toolkit's list: response headers an operator may add. Anything else could break the protocol.
_HEADERS = {
    "strict-transport-security": "Strict-Transport-Security",
    "x-content-type-options": "X-Content-Type-Options",
    "x-frame-options": "X-Frame-Options",
    "x-xss-protection": "X-XSS-Protection",
    "content-security-policy": "Content-Security-Policy",
}
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")
# bcrypt reads 72 bytes of a password; the bcrypt package refuses longer ones where Go and htpasswd
# truncate. Truncating here verifies the same passwords the exporter-toolkit would.
_BCRYPT_MAX_PASSWORD = 72


def _error(path: Path, key: str, message: str) -> SettingsError:
    return SettingsError(KEY, f"{key}: {message} (in {path})")


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
        # Renegotiation only serves attacks on a metrics endpoint (CPU exhaustion); TLS 1.3 has none.
        context.options |= ssl.OP_NO_RENEGOTIATION
        context.set_alpn_protocols(["http/1.1"])
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=str(self.client_ca_file))
        context.verify_mode = self.client_auth
        return context


class AuthBusy(Exception):
    """Every bcrypt slot is taken: the request is answered "retry later" rather than queued."""


def _cost(hashed: bytes) -> int:
    return int(hashed[4:6])


def _token(user: str, password: str) -> bytes:
    return hashlib.sha256(f"{user}\x00{password}".encode()).digest()


@dataclass
class BasicAuth:
    """Users and their bcrypt hashes; every uncached ``check`` does the same bcrypt work, whoever asks.

    That work is one bcrypt at each cost found in the file: against the user's own hash at its cost and
    against a dummy hash at every other cost (all of them for an unknown user). A wrong name, a wrong
    password of a cheap user and one of a costly user then take the same time, so timing tells no user
    name apart; with one cost in the file (the usual case) it is a single bcrypt.

    At most ``slots`` checks run bcrypt at once and a check that finds them all taken raises
    :class:`AuthBusy` at once: a flood of wrong passwords then holds neither every core nor every worker
    thread, and a scraper whose success is remembered never waits behind it.
    """

    users: Mapping[str, bytes]  # name -> bcrypt hash
    slots: int = field(default_factory=lambda: max(1, (os.cpu_count() or 1) - 1))
    _dummies: dict[int, bytes] = field(default_factory=dict)
    _verified: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self._running = threading.BoundedSemaphore(self.slots)
        for cost in sorted({_cost(h) for h in self.users.values()} or {10}):
            if cost not in self._dummies:
                self._dummies[cost] = bcrypt.hashpw(b"otel-ovh-unknown-user", bcrypt.gensalt(rounds=cost))

    def check(self, user: str, password: str) -> bool:
        """A success is remembered as a digest (per user, so bounded by the file) and short-cuts only that
        same password later; anything else pays the full bcrypt work above."""
        if self.remembered(user, password):
            return True
        if not self._running.acquire(blocking=False):
            raise AuthBusy
        try:
            ok = self._bcrypt(self.users.get(user), password.encode()[:_BCRYPT_MAX_PASSWORD])
        finally:
            self._running.release()
        if ok:
            with self._lock:
                self._verified[user] = _token(user, password)
        return ok

    def remembered(self, user: str, password: str) -> bool:
        """This password already succeeded for this user: no bcrypt needed (a digest and a lookup)."""
        with self._lock:
            known = self._verified.get(user)
        return known is not None and hmac.compare_digest(_token(user, password), known)

    def _bcrypt(self, hashed: bytes | None, candidate: bytes) -> bool:
        own = _cost(hashed) if hashed is not None else None
        ok = False
        for cost, dummy in self._dummies.items():
            mine = cost == own
            try:
                matches = bool(bcrypt.checkpw(candidate, hashed if mine and hashed else dummy))
            except ValueError:  # a hash the bcrypt package cannot read: refuse, never fail the request
                matches = False
            ok = ok or (mine and matches)
        return ok


@dataclass(frozen=True)
class WebConfig:
    tls: TlsConfig | None = None
    basic_auth: BasicAuth | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _mapping(path: Path, value: Any, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _error(path, key, f"must be a mapping, got {type(value).__name__}")
    return value


def _file(path: Path, value: Any, key: str) -> Path:
    """A path from the file; relative ones are relative to the web-config file, as in the toolkit."""
    if not isinstance(value, str) or not value:
        raise _error(path, key, "must be a file path")
    given = Path(value).expanduser()
    resolved = given if given.is_absolute() else path.parent / given
    if not resolved.is_file():
        raise _error(path, key, f"file {value!r} does not exist")
    return resolved


def load_web_config(path: Path) -> WebConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise SettingsError(KEY, f"cannot read {str(path)!r}: {reason}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise SettingsError(KEY, f"{str(path)!r} is not valid YAML{where}") from None
    raw = _mapping(path, raw, "the file")
    unknown = sorted(set(map(str, raw)) - {"tls_server_config", "basic_auth_users", "http_server_config"})
    if unknown:
        raise _error(
            path,
            unknown[0],
            "unknown key (known: tls_server_config, basic_auth_users, http_server_config)",
        )
    return WebConfig(
        tls=_parse_tls(path, _mapping(path, raw.get("tls_server_config"), "tls_server_config")),
        basic_auth=_parse_users(path, _mapping(path, raw.get("basic_auth_users"), "basic_auth_users")),
        headers=_parse_http(path, _mapping(path, raw.get("http_server_config"), "http_server_config")),
    )


def _parse_client_auth(path: Path, tls_raw: Mapping[str, Any]) -> str:
    client_auth = str(tls_raw.get("client_auth_type") or "NoClientCert")
    if client_auth in _CLIENT_AUTH_UNSUPPORTED:
        raise _error(
            path,
            "tls_server_config.client_auth_type",
            f"{client_auth} is not supported (a client certificate is always verified here); "
            "use VerifyClientCertIfGiven or RequireAndVerifyClientCert with client_ca_file",
        )
    if client_auth not in _CLIENT_AUTH:
        raise _error(
            path,
            "tls_server_config.client_auth_type",
            f"unknown value {client_auth!r} (known: {', '.join(_CLIENT_AUTH)})",
        )
    return client_auth


def _parse_versions(path: Path, tls_raw: Mapping[str, Any]) -> tuple[ssl.TLSVersion, ssl.TLSVersion | None]:
    versions: dict[str, ssl.TLSVersion | None] = {}
    for which, default in (("min_version", "TLS12"), ("max_version", None)):
        name = tls_raw.get(which, default)
        if name is not None and name not in _TLS_VERSIONS:
            raise _error(
                path,
                f"tls_server_config.{which}",
                f"unknown TLS version {name!r} (known: {', '.join(_TLS_VERSIONS)})",
            )
        versions[which] = _TLS_VERSIONS[name] if name is not None else None
    minimum = versions["min_version"] or ssl.TLSVersion.TLSv1_2
    maximum = versions["max_version"]
    if maximum is not None and maximum < minimum:
        raise _error(path, "tls_server_config.max_version", "is lower than min_version")
    return minimum, maximum


def _parse_tls(path: Path, tls_raw: Mapping[str, Any]) -> TlsConfig | None:
    if not tls_raw:
        return None
    for key in map(str, tls_raw):
        if key in _TLS_UNSUPPORTED:
            raise _error(path, f"tls_server_config.{key}", _TLS_UNSUPPORTED[key])
        if key not in _TLS_KEYS:
            raise _error(path, f"tls_server_config.{key}", f"unknown key (known: {', '.join(_TLS_KEYS)})")
    client_auth = _parse_client_auth(path, tls_raw)
    minimum, maximum = _parse_versions(path, tls_raw)
    ca = tls_raw.get("client_ca_file")
    if _CLIENT_AUTH[client_auth] != ssl.CERT_NONE and not ca:
        raise _error(
            path,
            "tls_server_config.client_ca_file",
            f"is needed to verify client certificates ({client_auth})",
        )
    prefer = tls_raw.get("prefer_server_cipher_suites")
    if prefer is not None and not isinstance(prefer, bool):
        raise _error(path, "tls_server_config.prefer_server_cipher_suites", "must be true or false")
    tls = TlsConfig(
        cert_file=_file(path, tls_raw.get("cert_file"), "tls_server_config.cert_file"),
        key_file=_file(path, tls_raw.get("key_file"), "tls_server_config.key_file"),
        client_ca_file=_file(path, ca, "tls_server_config.client_ca_file") if ca else None,
        client_auth=_CLIENT_AUTH[client_auth],
        min_version=minimum,
        max_version=maximum,
    )
    try:
        tls.context()
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or type(exc).__name__
        raise _error(
            path, "tls_server_config", f"cannot load cert_file/key_file/client_ca_file: {reason}"
        ) from None
    return tls


def _parse_users(path: Path, users_raw: Mapping[str, Any]) -> BasicAuth | None:
    if not users_raw:
        return None
    users: dict[str, bytes] = {}
    for user, hashed in users_raw.items():
        # The value is never echoed: a plaintext password put here by mistake must not reach a log.
        if not isinstance(hashed, str) or not _BCRYPT_HASH.match(hashed):
            raise _error(path, f"basic_auth_users.{user}", "must be a bcrypt hash ($2y$10$... or $2b$...)")
        if not 4 <= int(hashed[4:6]) <= 31:
            raise _error(path, f"basic_auth_users.{user}", "bcrypt cost must be between 04 and 31")
        if ":" in str(user) or not str(user):
            raise _error(path, f"basic_auth_users.{user}", "a user name cannot be empty or contain ':'")
        users[str(user)] = hashed.encode()
    return BasicAuth(users)


def _parse_http(path: Path, http_raw: Mapping[str, Any]) -> dict[str, str]:
    for key in map(str, http_raw):
        if key not in ("headers", "http2"):
            raise _error(path, f"http_server_config.{key}", "unknown key (known: headers, http2)")
    if not isinstance(http_raw.get("http2", True), bool):
        raise _error(path, "http_server_config.http2", "must be true or false")
    headers: dict[str, str] = {}
    for name, value in _mapping(path, http_raw.get("headers"), "http_server_config.headers").items():
        key = f"http_server_config.headers.{name}"
        canonical = _HEADERS.get(str(name).lower())
        if canonical is None:
            raise _error(path, key, f"header not allowed (allowed: {', '.join(_HEADERS.values())})")
        text = str(value)
        if not text or any(c in text for c in "\r\n\x00"):
            raise _error(path, key, "must be one line of text")
        headers[canonical] = text
    return headers
