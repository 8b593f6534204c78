"""The attributes of the OpenTelemetry resource: what produced the data, resolved once, at load.

``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME`` win over our defaults, read as the SDK's
``OTELResourceDetector`` reads them but from the environment given to ``load_settings`` (the detector
reads ``os.environ`` whenever it runs); an explicit ``telemetry.service_name`` wins over both, like every
other setting over its variable.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Mapping
from urllib.parse import unquote

from otel_ovh import __version__

log = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "otel-ovh"


def resource_attributes(service_name: str | None, env: Mapping[str, str]) -> dict[str, str]:
    attributes = {
        "service.name": DEFAULT_SERVICE_NAME,
        "service.version": __version__,
        "service.instance.id": env.get("HOSTNAME") or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}",
    }
    for item in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, equals, value = item.partition("=")
        if equals:
            attributes[key.strip()] = unquote(value.strip())
        elif item.strip():
            log.warning("OTEL_RESOURCE_ATTRIBUTES: %r is not a key=value pair, ignored", item)
    chosen = service_name or env.get("OTEL_SERVICE_NAME")
    if chosen:
        attributes["service.name"] = chosen
    return attributes
