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
from pathlib import Path
from urllib.parse import unquote

from otel_ovh import __version__

log = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "otel-ovh"


MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))


def host_instance_id(machine_id_files: tuple[Path, ...] = MACHINE_ID_FILES) -> str:
    """The same on every start on one host, so a restart continues the series instead of opening new
    ones (a random part made each start a new instance to the backend). The host name alone can be
    shared by clones of one image; the machine id tells them apart without being shown itself."""
    host = socket.gethostname()
    for path in machine_id_files:
        try:
            machine_id = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if machine_id:
            return f"{host}-{uuid.uuid5(uuid.NAMESPACE_OID, f'otel-ovh/{host}/{machine_id}').hex[:8]}"
    return host


def resource_attributes(service_name: str | None, env: Mapping[str, str]) -> dict[str, str]:
    attributes = {
        "service.name": DEFAULT_SERVICE_NAME,
        "service.version": __version__,
        "service.instance.id": env.get("HOSTNAME") or host_instance_id(),
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
