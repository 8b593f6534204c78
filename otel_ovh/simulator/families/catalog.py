"""OVH's public price list, ``GET /order/catalog/public/cloud?ovhSubsidiary=..`` (no authentication):
the very prices the simulated bills use (``simulator/catalog.py``), as ``order.catalog.public.Catalog``.

Hourly and monthly prices are separate addons of the plan ``project.2018`` listed in its
``addonFamilies``; ``pricings[].price`` is in micro-cents (1e-8 of ``locale.currencyCode``).
"""

from __future__ import annotations

from otel_ovh.simulator.catalog import EXTRAS, FLAVORS, GATEWAY_PRICE, STORAGE_CLASSES, VOLUME_TYPES
from otel_ovh.simulator.family import Family, Json, Query

ROUTE = "/order/catalog/public/cloud"


def microcents(amount: float) -> int:
    """An amount of the currency in the catalog's unit (1e-8), as OVH writes it: an integer."""
    return round(amount * 1e8)


def _addon(plan_code: str, amount: float, product: str, billing_type: str) -> Json:
    return {
        "planCode": plan_code,
        "invoiceName": plan_code,
        "product": product,
        "pricingType": "consumption",
        "pricings": [{"price": microcents(amount), "type": billing_type, "capacities": ["consumption"]}],
    }


def _families() -> dict[str, list[Json]]:
    """Addon family name -> its addons, from the tables the bills are priced with."""
    extra = {spec.reference: spec.price for spec in EXTRAS}
    return {
        "instance": [
            addon
            for f in FLAVORS.values()
            for addon in (
                _addon(f"{f.name}.consumption", f.hourly, "publiccloud-instance", "consumption"),
                _addon(f"{f.name}.monthly.postpaid", f.monthly, "publiccloud-instance", "monthly.postpaid"),
            )
        ],
        "volume": [
            _addon(f"volume.{name}.consumption", price, "publiccloud-volume", "consumption")
            for name, price in VOLUME_TYPES.items()
        ],
        "floatingip": [
            _addon(
                "floatingip.floatingip.hour.consumption", extra["floatingip"], "publiccloud-ip", "consumption"
            )
        ],
        "gateway": [
            _addon(f"gateway.{model}.hour.consumption", price, "publiccloud-gateway", "consumption")
            for model, price in GATEWAY_PRICE.items()
        ],
        "octavia-loadbalancer": [
            _addon(
                "octavia-loadbalancer.loadbalancer-s.hour.consumption",
                extra["loadbalancer-small"],
                "publiccloud-loadbalancer",
                "consumption",
            )
        ],
        "storage": [
            _addon(f"{name}.consumption", spec.stored, "publiccloud-storage", "consumption")
            for name, spec in STORAGE_CLASSES.items()
        ],
    }


def price_list(query: Query) -> Json:
    families = _families()
    return {
        "catalogId": 1,
        "locale": {"currencyCode": "EUR", "subsidiary": query.get("ovhSubsidiary", "FR"), "taxRate": 20},
        "plans": [
            {
                "planCode": "project.2018",
                "addonFamilies": [
                    {"name": name, "addons": [a["planCode"] for a in addons]}
                    for name, addons in families.items()
                ],
            }
        ],
        "addons": [addon for addons in families.values() for addon in addons],
    }


FAMILY = Family(routes={}, public={ROUTE: price_list})
