"""The ``catalog`` section: which OVH subsidiary's public price list prices the burn rate and the advice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from otel_ovh.settings.schema import SettingsError, setting, text

# OVH's subsidiary per API: its public price list is per subsidiary (``ovhSubsidiary``), and the API an
# account lives on says which one bills it; a URL (a proxy, the simulator) is taken as Europe's.
_SUBSIDIARY_BY_API = {"eu": "FR", "ca": "CA", "us": "US"}
_SUBSIDIARY = re.compile(r"^[A-Z]{2}$")


def subsidiary_of(endpoint: str | None) -> str:
    """``ovh-eu`` → FR, ``ovh-ca`` → CA, ``ovh-us`` → US (and the kimsufi/soyoustart names alike)."""
    suffix = (endpoint or "").rpartition("-")[2] if "://" not in (endpoint or "") else "eu"
    return _SUBSIDIARY_BY_API.get(suffix, "FR")


def _subsidiary(key: str, value: Any) -> str:
    code = (text(key, value) or "").upper()
    if not _SUBSIDIARY.match(code):
        raise SettingsError(key, f"{value!r} is not an OVH subsidiary code (two letters, such as FR)")
    return code


@dataclass(frozen=True)
class CatalogSettings:
    subsidiary: str = setting(
        "FR",
        "OVH subsidiary whose public price list (`/order/catalog/public/cloud`) prices the advice",
        convert=_subsidiary,
        derive=lambda get: subsidiary_of(get("ovh.endpoint")),
        doc_default="from `ovh.endpoint`: `ovh-eu` FR, `ovh-ca` CA, `ovh-us` US",
    )
