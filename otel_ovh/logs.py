"""Logging set-up, with every known secret masked in every record, whoever wrote it.

Our own code never formats a secret (they are :class:`~otel_ovh.config.Secret` objects), but libraries
may: requests and oauthlib log URLs and headers at DEBUG, and an exception message can quote a request.
The filter is the last line of defence, so it also covers tracebacks, stack dumps and the uncaught
exceptions Python would otherwise print straight to stderr (threads included, and ``--debug``'s
re-raise), which never pass through a handler.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words; no real OVH credential is that short


def secret_variants(secrets: Iterable[str]) -> list[str]:
    """Each secret as written and as URL-encoded (a form body or query string carries it that way).

    Longest first, so that a secret containing another is masked whole.
    """
    variants: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_LENGTH:
            variants.update((secret, quote(secret, safe=""), quote_plus(secret)))
    return sorted(variants, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (see :func:`secret_variants`) replaced by ``***``."""
    for secret in secret_variants(secrets):
        text = text.replace(secret, MASK)
    return text


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = secret_variants(secrets)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
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
