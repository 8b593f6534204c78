"""Logging set-up, with every known secret masked in every record, whoever wrote it.

Our own code never formats a secret (they are :class:`~otel_ovh.config.Secret` objects), but libraries
may: requests and oauthlib log URLs and headers at DEBUG. The filter is the last line of defence.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

MASK = "***"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        text = record.exc_text or ""
        for secret in self._secrets:
            message = message.replace(secret, MASK)
            text = text.replace(secret, MASK)
        record.msg, record.args = message, None
        if record.exc_text:
            record.exc_text = text
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
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
