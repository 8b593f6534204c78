"""``login``: request a read-only consumer key from OVH and keep it where the settings read secrets.

The key's rights are ``GET`` only, on two parts of the API:

* the ``/cloud/project`` tree, so that a project created later is readable without a new key;
* the account's billing routes that the account-wide ``account`` family reads: the consumption
  (``/me/consumption/*``), the bills, the debt account, the credit balances and the services with their
  expiry and next billing dates.

Nothing else of the account is reachable: no DNS, no users, no orders, no payment means, and no
writes anywhere. A key made before the account routes were asked for keeps every cloud metric; only
the ``account`` family is refused (see docs/security.md).
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests
import yaml

from otel_ovh.errors import CommandError
from otel_ovh.ovh.errors import NO_ANSWER, ApiError, innermost, no_answer_reason
from otel_ovh.serve.app import credentials
from otel_ovh.settings.config import OvhSettings, SettingsError

# The paths the key may read, each with GET only; OVH's ``*`` matches anything below, slashes included.
# A route and its subtree are two rules: ``/me/bill/*`` does not match ``/me/bill`` itself. The
# consumption and the debt account are asked for at the level the family reads, no wider.
LOGIN_PATHS = (
    "/cloud/project",
    "/cloud/project/*",
    "/me/consumption/*",
    "/me/bill",
    "/me/bill/*",
    "/me/debtAccount",
    "/me/credit/balance",
    "/me/credit/balance/*",
    "/services",
    "/services/*",
)
LOGIN_RULES = tuple({"method": "GET", "path": path} for path in LOGIN_PATHS)


@dataclass(frozen=True)
class ConsumerKey:
    key: str
    validation_url: str


def request_consumer_key(ovh_settings: OvhSettings) -> ConsumerKey:
    """Ask OVH for a key with ``LOGIN_RULES``; it works once its validation URL has been opened."""
    import ovh

    if ovh_settings.uses_oauth2:
        raise CommandError(
            "login requests a consumer key for an application key; OAuth2 service accounts "
            "need none (see docs/security.md for their minimal IAM policy)"
        )
    if not ovh_settings.application_key or not ovh_settings.application_secret:
        raise SettingsError(
            "ovh.application_key",
            "login needs application_key and application_secret "
            "(create an application at https://eu.api.ovh.com/createApp/)",
        )
    request = replace(credentials(ovh_settings), consumer_key=None).client().new_consumer_key_request()
    for rule in LOGIN_RULES:
        request.add_rule(rule["method"], rule["path"])
    try:
        answer = request.request()
    except (ovh.exceptions.APIError, OSError) as error:
        raise CommandError(_failure(ovh_settings.endpoint, error)) from None
    return ConsumerKey(answer["consumerKey"], answer["validationUrl"])


def _failure(endpoint: str, error: Exception) -> str:
    """Why no key came, in the words ``check-config`` uses: an OVH that cannot be reached is a network or
    endpoint matter, not a refusal, and only an HTTP answer from OVH can refuse."""
    import ovh

    no_answer = next((arg for arg in error.args if isinstance(arg, requests.RequestException)), None)
    if isinstance(error, ovh.exceptions.HTTPError) and no_answer is not None:
        said = f"{type(no_answer).__name__}: {innermost(no_answer)}"
        call = ApiError("/auth/credential", NO_ANSWER, said, reason=no_answer_reason(no_answer))
        if call.unreachable:
            return f"OVH is unreachable at {endpoint}: {call.why_unreachable} ({call}); no key was requested"
        return f"OVH did not answer the consumer key request ({call}); no key was requested"
    if isinstance(error, ovh.exceptions.InvalidResponse | OSError):
        return f"OVH gave no usable answer to the consumer key request: {_first_line(error)}"
    return f"OVH refused the consumer key request: {_first_line(error)}"


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def stored_consumer_key(path: Path) -> bool:
    """Whether ``path`` already holds a consumer key: replacing it would lock out whatever uses it."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    section = loaded.get("ovh") if isinstance(loaded, dict) else None
    return isinstance(section, dict) and bool(section.get("consumer_key"))


def refuse_to_replace(path: Path, force: bool) -> None:
    """Checked before OVH is asked, so a refused login leaves no pending key behind either."""
    if not force and stored_consumer_key(path):
        raise CommandError(f"{path} already holds a consumer key; pass --force to replace it")


def login_lines(key: ConsumerKey, path: Path | None) -> list[str]:
    """What to tell the user; ``path`` None is the demo, whose simulator stops with the command, so its
    validation URL would lead nowhere and its key is not worth keeping."""
    paths = textwrap.wrap(", ".join(LOGIN_PATHS), 98, break_long_words=False, break_on_hyphens=False)
    lines = ["A read-only consumer key was requested: GET on these paths and nothing else:"]
    lines += [f"  {line}" for line in paths]
    if path is None:
        return [
            *lines,
            "demo: the simulated OVH API granted it and stops with this command, so there is no URL to",
            "open and nothing was written. Without --demo the key is stored in the secrets file (mode",
            "0600) and this prints the URL where you accept it.",
        ]
    return [
        *lines,
        f"Open this URL, log in and accept to activate it:\n\n  {key.validation_url}\n",
        f"The key is stored in {path} (mode 0600); otel-ovh reads it from there.",
        "Until the URL has been opened and accepted, OVH answers that the key is not valid.",
    ]


def store_consumer_key(path: Path, consumer_key: str) -> Path:
    """Write the key into the secrets file, keeping its other entries; readable by the owner only.

    The new content goes to a 0600 temporary file that then replaces the old one, so the key is never
    on disk under looser permissions, even when the old file had them.
    """
    existing: dict[str, Any] = {}
    if path.is_file():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        existing = loaded if isinstance(loaded, dict) else {}
    ovh_section = existing.get("ovh")
    existing["ovh"] = {**(ovh_section if isinstance(ovh_section, dict) else {}), "consumer_key": consumer_key}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yaml.safe_dump(existing, handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
