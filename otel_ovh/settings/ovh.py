"""The ``ovh`` section: which OVH API, and the credentials (application keys, or an OAuth2 service account).

Declared apart from ``otel_ovh.settings.config`` because its rules are OVH's own: python-ovh's endpoint names,
which endpoints offer OAuth2, and that a token URL needs https unless it is on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from otel_ovh.process import is_loopback, oauth2_token_url_for
from otel_ovh.settings.schema import Secret, SettingsError, http_url, secret, setting, text, variable

_URL = http_url("https://eu.api.ovh.com/1.0")


def _endpoint(key: str, value: Any) -> str | None:
    endpoint = text(key, value)
    if endpoint is None or "://" not in endpoint:
        import ovh.client

        if endpoint is not None and endpoint not in ovh.client.ENDPOINTS:
            known = ", ".join(sorted(ovh.client.ENDPOINTS))
            raise SettingsError(key, f"unknown endpoint name {endpoint!r} (known: {known}, or a URL)")
        return endpoint
    parts = urlsplit(_URL(key, endpoint))
    try:
        _ = parts.port
    except ValueError:
        raise SettingsError(key, f"{endpoint!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise SettingsError(key, f"{endpoint!r} must not have a query or fragment")
    return endpoint


@dataclass(frozen=True)
class OvhSettings:
    endpoint: str = setting(
        "ovh-eu",
        "an endpoint name of python-ovh (`ovh-eu`, `ovh-ca`, `ovh-us`, …) or a URL such as "
        "`https://eu.api.ovh.com/1.0`",
        convert=_endpoint,
        verbatim=True,
    )
    application_key: str | None = setting(
        None, "with `application_secret` and `consumer_key`", convert=text, verbatim=True
    )
    application_secret: Secret | None = setting(None, "secret", convert=secret, verbatim=True)
    consumer_key: Secret | None = setting(
        None, "secret; `otel-ovh login` stores one", convert=secret, verbatim=True
    )
    client_id: str | None = setting(
        None, "OAuth2 service account, instead of the three keys", convert=text, verbatim=True
    )
    client_secret: Secret | None = setting(None, "secret", convert=secret, verbatim=True)
    oauth2_token_url: str | None = setting(
        None,
        "token URL when `endpoint` is a URL (default: `<scheme>://<host>/auth/oauth2/token`)",
        convert=text,
        doc_default="derived",
        verbatim=True,
    )

    @property
    def uses_oauth2(self) -> bool:
        return self.client_id is not None


def check_credentials(ovh: OvhSettings, require_credentials: bool, env_prefix: str) -> None:
    """One way to authenticate, complete; ``require_credentials=False`` lets ``login`` get the last key."""
    keys = ("application_key", "application_secret", "consumer_key")
    if any(getattr(ovh, key) for key in keys) and (ovh.client_id or ovh.client_secret):
        raise SettingsError(
            "ovh",
            "give either application_key/application_secret/consumer_key or client_id/client_secret, "
            "not both",
        )
    if ovh.client_id or ovh.client_secret:
        for key in ("client_id", "client_secret"):
            if not getattr(ovh, key):
                raise SettingsError(f"ovh.{key}", "missing (OAuth2 needs client_id and client_secret)")
        _check_oauth2_endpoint(ovh.endpoint, ovh.oauth2_token_url)
        return
    if not require_credentials:
        return
    none_given = not any(getattr(ovh, key) for key in keys)
    for key in keys:
        if not getattr(ovh, key):
            login = key == "consumer_key" and ovh.application_key
            raise SettingsError(
                f"ovh.{key}",
                f"missing: set it in the settings file or {variable(env_prefix, f'ovh.{key}')}, or use an "
                "OAuth2 client_id/client_secret"
                + (" (run `otel-ovh login` to get a consumer key)" if login else "")
                + ("; without an OVH account, try --demo (a built-in simulated one)" if none_given else ""),
            )


def _check_oauth2_endpoint(endpoint: str, token_url: str | None) -> None:
    if "://" not in endpoint:
        import ovh.client

        if endpoint not in ovh.client.OAUTH2_TOKEN_URLS:
            raise SettingsError("ovh.endpoint", f"OAuth2 is not available on {endpoint!r}")
        return
    url = token_url or oauth2_token_url_for(endpoint)
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        raise SettingsError("ovh.oauth2_token_url", f"OAuth2 needs https, got {url!r}")
