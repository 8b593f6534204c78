"""Who may call: application key/secret, consumer keys with access rules, OAuth2 service accounts.

Checks follow docs/ovh-api.md §2 in order: application key (403 INVALID_KEY), consumer key known
(403 NOT_CREDENTIAL) and validated (403 INVALID_CREDENTIAL while pending), signature (400
INVALID_SIGNATURE), then the key's access rules (403 NOT_GRANTED_CALL). The signature is
python-ovh 1.2.0's: `"$1$" + sha1(AS+CK+METHOD+URL+BODY+TIMESTAMP)` with URL rebuilt as
`"http://" + Host + raw path`. The timestamp must be an integer but its skew is not checked: tests
move the world clock after python-ovh has measured its offset once, and OVH's tolerance is unknown.

OAuth2 tokens expire on the wall clock (`time.time`), as the client's own expiry check does, with
`TOKEN_GRACE` seconds of tolerance: oauthlib rounds the issue time to the nearest second, so a client
may send a token up to half a second after the expiry it was told.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otel_ovh.simulator.errors import ApiError, auth_error, service_error
from otel_ovh.simulator.ids import random_hex, random_token
from otel_ovh.simulator.timeutil import iso

HTTP_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
TOKEN_GRACE = 1.0
CLOUD_RULES = ({"method": "GET", "path": "/cloud/project"}, {"method": "GET", "path": "/cloud/project/*"})
# The demo credential may read the whole account too (the ``account`` family: ``/me/...``, ``/services``).
ACCOUNT_RULES = (
    {"method": "GET", "path": "/me/*"},
    {"method": "GET", "path": "/services"},
    {"method": "GET", "path": "/services/*"},
)
DEFAULT_RULES = CLOUD_RULES + ACCOUNT_RULES


def signature(secret: str, consumer_key: str, method: str, url: str, body: str, timestamp: str) -> str:
    """The `X-Ovh-Signature` python-ovh computes for a request."""
    digest = hashlib.sha1("+".join([secret, consumer_key, method.upper(), url, body, timestamp]).encode())
    return "$1$" + digest.hexdigest()


def rule_matches(rule_path: str, path: str) -> bool:
    """OVH access rule paths: literal except `*`, which matches anything (slashes included)."""
    pattern = ".*".join(re.escape(piece) for piece in rule_path.split("*"))
    return re.fullmatch(pattern, path) is not None


@dataclass
class Credential:
    """A consumer key: its rules, its state (`pendingValidation` until its validation URL is opened)."""

    consumer_key: str
    credential_id: int
    rules: list[dict[str, str]]
    created: int
    token: str  # the credentialToken of its validation URL
    status: str = "pendingValidation"
    redirection: str | None = None
    allowed_ips: list[str] | None = None
    last_use: int | None = None

    def grants(self, method: str, path: str) -> bool:
        return any(r["method"] == method and rule_matches(r["path"], path) for r in self.rules)

    def body(self, application_id: int) -> dict[str, Any]:
        return {
            "credentialId": self.credential_id,
            "applicationId": application_id,
            "creation": iso(self.created),
            "status": self.status,
            "ovhSupport": False,
            "rules": self.rules,
            "expiration": None,
            "lastUse": iso(self.last_use) if self.last_use is not None else None,
            "allowedIPs": self.allowed_ips,
        }


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: a consumer key, or an OAuth2 client."""

    method: str  # auth.MethodEnum: "account" or "oauth2_client_credentials"
    credential: Credential | None = None
    client_id: str | None = None


@dataclass
class _Token:
    client_id: str
    expires: float = field(default=0.0)


class Auth:
    """The account's application, consumer keys and OAuth2 clients; deterministic from the seed."""

    def __init__(self, seed: int, clock: Callable[[], float], token_lifetime: int = 3600) -> None:
        self._rng = random.Random(f"auth:{seed}")
        self._clock = clock
        self._lock = threading.Lock()
        self.token_lifetime = token_lifetime
        self.application_key = random_token(self._rng, 16)
        self.application_secret = random_token(self._rng, 32)
        self.application_id = self._rng.randrange(10_000, 999_999)
        self.account = f"xx{self._rng.randrange(1000, 99999)}-ovh"
        self.client_id = random_hex(self._rng, 16)
        self.client_secret = random_token(self._rng, 32)
        self._credentials: dict[str, Credential] = {}
        self._by_token: dict[str, str] = {}
        self._tokens: dict[str, _Token] = {}
        default = self.new_credential([dict(r) for r in DEFAULT_RULES])
        default.status = "validated"
        self.consumer_key = default.consumer_key

    def now(self) -> int:
        return int(self._clock())

    # --- consumer keys -----------------------------------------------------------------------------
    def new_credential(
        self,
        rules: list[dict[str, str]],
        redirection: str | None = None,
        allowed_ips: list[str] | None = None,
    ) -> Credential:
        """A pending consumer key with these rules (validate it through its token)."""
        with self._lock:
            cred = Credential(
                random_token(self._rng, 32),
                self._rng.randrange(10**8, 10**9),
                rules,
                self.now(),
                random_token(self._rng, 64),
                redirection=redirection,
                allowed_ips=allowed_ips,
            )
            self._credentials[cred.consumer_key] = cred
            self._by_token[cred.token] = cred.consumer_key
            return cred

    def request_credential(self, application_key: str | None, params: Any) -> Credential:
        """POST /auth/credential: needs only a known application key; checks the rules' shape."""
        if application_key != self.application_key:
            raise auth_error("INVALID_KEY")
        rules = params.get("accessRules") if isinstance(params, dict) else None
        if not isinstance(rules, list) or not all(
            isinstance(r, dict) and r.get("method") in HTTP_METHODS and isinstance(r.get("path"), str)
            for r in rules
        ):
            raise service_error(400, "Invalid access rules")
        return self.new_credential(
            [{"method": r["method"], "path": r["path"]} for r in rules],
            params.get("redirection"),
            params.get("allowedIPs"),
        )

    def validate(self, token: str) -> Credential | None:
        """Opening the validation URL: the key becomes usable. None for an unknown token."""
        with self._lock:
            cred = self._credentials.get(self._by_token.get(token, ""))
            if cred is not None:
                cred.status = "validated"
            return cred

    def credential(self, consumer_key: str) -> Credential | None:
        return self._credentials.get(consumer_key)

    # --- request authentication -------------------------------------------------------------------
    def authenticate(
        self, method: str, url: str, path: str, body: str, headers: Mapping[str, str]
    ) -> Identity:
        """The caller of an API request, or ApiError. `headers` has lower-case names; `path` is relative
        to /1.0 without the query, and is what the access rules are matched against (except /auth/…)."""
        authorization = headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            return self._bearer(authorization[len("Bearer ") :])
        if headers.get("x-ovh-application") != self.application_key:
            raise auth_error("INVALID_KEY")
        consumer_key = headers.get("x-ovh-consumer")
        if not consumer_key:
            raise service_error(401)
        cred = self._credentials.get(consumer_key)
        if cred is None:
            raise auth_error("NOT_CREDENTIAL")
        if cred.status != "validated":
            raise auth_error("INVALID_CREDENTIAL")
        timestamp = headers.get("x-ovh-timestamp", "")
        expected = signature(self.application_secret, consumer_key, method, url, body, timestamp)
        if not timestamp.isdigit() or headers.get("x-ovh-signature") != expected:
            raise auth_error("INVALID_SIGNATURE")
        if not path.startswith("/auth/") and not cred.grants(method, path):
            raise auth_error("NOT_GRANTED_CALL")
        cred.last_use = self.now()
        return Identity("account", credential=cred)

    def _bearer(self, token: str) -> Identity:
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or entry.expires + TOKEN_GRACE < time.time():
            raise service_error(401, "Invalid or expired token")
        return Identity("oauth2_client_credentials", client_id=entry.client_id)

    # --- OAuth2 ------------------------------------------------------------------------------------
    def issue_token(self, authorization: str | None, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """POST /auth/oauth2/token (client credentials, HTTP Basic or form fields): (status, JSON body)."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = secret = None
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "only client_credentials"}
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {
                "error": "invalid_client",
                "error_description": "ovhcloud oauth2 client does not exists",
            }
        with self._lock:
            token = base64.b64encode(random_token(self._rng, 24).encode()).decode()
            self._tokens[token] = _Token(client_id, time.time() + self.token_lifetime)
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": "all",
        }

    def details(self, identity: Identity) -> dict[str, Any]:
        """GET /auth/details for this caller."""
        oauth = identity.credential is None
        identities = (
            [f"urn:v1:eu:identity:credential:{self.account}/oauth2-{identity.client_id}"]
            if oauth
            else [f"urn:v1:eu:identity:account:{self.account}"]
        )
        return {
            "account": self.account,
            "method": identity.method,
            "identities": identities,
            "allowedRoutes": None if identity.credential is None else identity.credential.rules,
            "description": None,
            "roles": None,
            "user": None,
        }

    def current_credential(self, identity: Identity) -> dict[str, Any]:
        """GET /auth/currentCredential: only meaningful for consumer keys."""
        if identity.credential is None:
            raise ApiError(
                403,
                {
                    "class": "Client::Forbidden",
                    "message": "This call is only available to consumer key credentials",
                },
            )
        return identity.credential.body(self.application_id)
