"""Logging set-up, with every known secret masked in every record, whoever wrote it.

Our own code never formats a secret (they are :class:`~otel_ovh.settings.schema.Secret`), but libraries
may: requests and oauthlib log URLs and headers at DEBUG, and an exception message can quote a request.
The filter is the last line of defence, so it also covers tracebacks, stack dumps and the uncaught
exceptions Python would otherwise print straight to stderr (threads included, and ``--debug``'s
re-raise), which never pass through a handler.

A peer can also quote part of a secret back: a collector answering ``invalid token abc123`` to the header
``authorization: Bearer abc123``. So the words of a secret are masked as well as the whole, and text that
reads as a credential (``Bearer …``, ``token: …``) is masked whether or not it is one we know.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words; no real OVH credential is that short


# An authorization scheme and its credentials (RFC 9110 section 11.4), or a word naming one credential and
# a value that looks like one (a digit in it, or long): ``invalid token abc123``, ``api_key=…``. Never
# "credentials": a word for a set of them, which prose puts before what is not one (``not readable with
# these credentials: <project id>``); the configured secrets are masked by their values wherever they are.
# Schemes as headers spell them: "token" in lower case is a word of prose ("token expired") as often as not.
_SCHEMES = re.compile(
    r"\b([Bb]earer|BEARER|[Bb]asic|BASIC|Token|ApiKey|Api-Token|GenieKey|Splunk)(\s+)[^\s,;'\"]{4,}"
)
_NAMED = re.compile(
    r"\b(token|secret|password|passwd|api[-_]?key|access[-_]?key|credential)(\"?\s*[:=]\s*\"?|\s+)"
    r"(?=[^\s,;'\"]*\d|[^\s,;'\"]{16})[^\s,;'\"]{6,}",
    re.I,
)


def parts(secret: str) -> list[str]:
    """The pieces of a secret a peer may quote alone: the credentials after an authorization scheme
    (``Bearer abc123``: ``abc123``), and the password inside a ``Basic`` one."""
    words = secret.split()
    found = [secret, *words[1:]] if len(words) > 1 else [secret]
    if len(words) == 2 and words[0].lower() == "basic":
        try:
            decoded = base64.b64decode(words[1], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        found += [decoded, decoded.partition(":")[2]]
    return found


def secret_variants(secrets: Iterable[str]) -> list[str]:
    """Each secret and its parts, as written and as URL-encoded (a form body or query string carries it
    that way). Longest first, so that a secret containing another is masked whole.
    """
    variants: set[str] = set()
    for secret in secrets:
        for part in parts(secret) if secret else ():
            if len(part) >= _MIN_SECRET_LENGTH:
                variants.update((part, quote(part, safe=""), quote_plus(part)))
    return sorted(variants, key=len, reverse=True)


def mask_credentials(text: str) -> str:
    """Text that reads as a credential masked, known or not (what a collector or a proxy quotes back)."""
    text = _SCHEMES.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _NAMED.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def _masked(text: str, variants: list[str]) -> str:
    for secret in variants:
        text = text.replace(secret, MASK)
    return mask_credentials(text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (see :func:`secret_variants`) and credential-like text masked."""
    return _masked(text, secret_variants(secrets))


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = secret_variants(secrets)

    def _redact(self, text: str) -> str:
        return _masked(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


_configured_secrets: list[str] = []


def redact_configured(text: str) -> str:
    """``text`` with the secrets of the running configuration masked (for messages printed, not logged)."""
    return redact(text, _configured_secrets)


def reconfigure_logging(level: str, secrets: Iterable[str]) -> None:
    """After a reload: the new level, and the new secrets masked *as well as* the old ones (a line about
    a call made with the old credentials may still be on its way)."""
    configure_logging(level, [*_configured_secrets, *secrets])


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    _configured_secrets[:] = list(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # The HTTP stack logs every request at DEBUG; that is noise even when debugging the exporter.
    for noisy in ("urllib3", "requests_oauthlib", "oauthlib"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
    _route_uncaught_exceptions()


def _route_uncaught_exceptions() -> None:
    """Uncaught exceptions go through the (redacting) handler instead of Python's raw stderr dump."""
    crash = logging.getLogger("otel_ovh.crash")

    def on_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        crash.critical("uncaught exception", exc_info=(kind, error, trace))

    def on_thread_uncaught(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        crash.error(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = on_uncaught
    threading.excepthook = on_thread_uncaught
