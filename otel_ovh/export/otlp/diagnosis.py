"""Why an export failed, said once: the SDK exporters' complaints are gathered during our export call.

The exporters log every failed attempt and every retry, each interval, for as long as the collector is
away. Their messages are captured here (per thread: two pipelines export at once) and reduced to one
reason, and ``outages`` turns a run of failures into one warning when it starts and one line when it ends.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from otel_ovh.collect.outages import OutageLog
from otel_ovh.logs import mask_credentials

log = logging.getLogger("otel_ovh.export.otlp")

# Where the SDK exporters log their failures and retries (the HTTP client logs through the metric
# exporter's logger). tests/unit/test_otlp.py holds these names to what the installed SDK uses.
SDK_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.common.http",
)


class _Capture(logging.Filter):
    """Swallows the SDK exporters' warnings and errors *during our export call*, and keeps them.

    Thread-local on purpose: the inventory and self pipelines export from their own threads at the
    same time, and each must report its own reason. Outside an export (construction, shutdown) the
    SDK's messages pass through untouched.
    """

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def note(self, message: str) -> None:
        """Add a message of our own to the current export's list (ignored outside an export)."""
        messages: list[str] | None = getattr(self._local, "messages", None)
        if messages is not None:
            messages.append(message)

    @contextmanager
    def capturing(self) -> Iterator[list[str]]:
        messages: list[str] = []
        self._local.messages = messages
        try:
            yield messages
        finally:
            self._local.messages = None

    def filter(self, record: logging.LogRecord) -> bool:
        messages: list[str] | None = getattr(self._local, "messages", None)
        if messages is None or record.levelno < logging.WARNING:
            return True
        lines = record.getMessage().strip().splitlines()
        messages.append(lines[0] if lines else "")
        return False


capture = _Capture()
for _name in SDK_LOGGERS:
    logging.getLogger(_name).addFilter(capture)

_GIVING_UP = "due to timeout, max retries or shutdown"


_RETRYING = re.compile(r",? retrying in [0-9.]+s\.?")


def outage_reason(messages: list[str]) -> str:
    """The most telling of the messages gathered during one failed export.

    What the collector answered (``HTTP 401 Unauthorized: <its body>``) or why it could not answer
    (``no answer from the collector: [Errno 111] Connection refused``), noted by our HTTP session, says
    most; otherwise the SDK's last specific message (the HTTP exporter ends with a generic "gave up"
    line after the retries that named the cause), without its "retrying in 1.02s". A collector's answer
    may quote the credentials it refused (``invalid token …``): what reads as one is masked.
    """
    answers = [m for m in messages if m.startswith(("HTTP ", NO_ANSWER))]
    specific = [m for m in messages if m and _GIVING_UP not in m]
    if answers:
        reason = answers[-1]
    elif specific:
        reason = _RETRYING.sub("", specific[-1]).strip()
    elif messages:
        reason = messages[-1]
    else:
        reason = "no reason given by the exporter"
    if messages and _GIVING_UP in messages[-1]:
        reason += " (gave up after retries)"
    reason = mask_credentials(reason)
    return reason if len(reason) <= 400 else reason[:397] + "..."


NO_ANSWER = "no answer from the collector: "


# Which exporters are failing, per collector. The inventory and self pipelines export to the same
# collector from their own threads; an outage is one event for an operator, not one per pipeline.
# Module-wide because exporters are rebuilt with their pipelines; one that shuts down leaves the outage.
outages = OutageLog(log)
