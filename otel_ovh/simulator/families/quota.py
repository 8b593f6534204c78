"""Quotas: ``quota`` (``cloud.quota.Quotas[]``, every compute region) and ``region/{regionName}/quota``.

What a quota says is used is computed from the same records the other endpoints list (instances,
volumes, and the live billed extras a counter counts), so the figures always agree.
"""

from __future__ import annotations

from otel_ovh.simulator import legacy
from otel_ovh.simulator.catalog import FLAVORS, QUOTA_COUNTERS, QUOTA_FIELDS, QUOTA_LIMITS, region_spec
from otel_ovh.simulator.errors import not_found
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.routes import P

UNLIMITED_INSTANCE_KEYS = frozenset({"maxCores", "maxInstances", "maxRam"})


def _used(view: View, region: str) -> dict[str, int]:
    instances = view.p.live_instances(region)
    volumes = view.p.live_volumes(region)
    used = dict(view.p.quota_usage.get(region, {}))
    used.update(
        usedInstances=len(instances),
        usedCores=sum(FLAVORS[i.flavor].vcpus for i in instances),
        usedRAM=sum(FLAVORS[i.flavor].ram for i in instances) * 1024,
        usedGigabytes=sum(v.size for v in volumes),
        volumeCount=len(volumes),
    )
    for meter in view.p.extras:
        counter = QUOTA_COUNTERS.get(meter.kind)
        if counter and meter.region == region and meter.end is None and meter.start <= view.now:
            used[counter] = used.get(counter, 0) + 1
    return used


def quota(view: View, region: str) -> Json:
    """The region's quota body, computed once per rendering (the flavor list asks it again and again)."""
    key = ("quota", region)
    if key not in view.memo:
        view.memo[key] = _quota(view, region)
    body: Json = view.memo[key]
    return body


def _quota(view: View, region: str) -> Json:
    spec = region_spec(view.region_name(region))
    if not spec.compute:
        raise not_found(f"Region {region} has no compute quota")
    used = _used(view, region)
    body: Json = {"region": region}
    for category, fields in QUOTA_FIELDS.items():
        if category not in spec.quota_categories:
            body[category] = None
            continue
        values: Json = {}
        for limit_key, used_key in fields:
            amount = used.get(used_key, 0) if used_key else 0
            unlimited = spec.unlimited and limit_key in UNLIMITED_INSTANCE_KEYS
            values[limit_key] = -1 if unlimited else max(QUOTA_LIMITS[limit_key], amount)
            if used_key:
                values[used_key] = amount
        body[category] = legacy.drop("share", values) if category == "share" and view.p.legacy else values
    return body


def quotas(view: View) -> list[Json]:
    return [quota(view, r) for r in view.p.regions if region_spec(r).compute]


FAMILY = Family(
    routes={
        f"{P}/quota": lambda v, a, q: quotas(v),
        f"{P}/region/{{regionName}}/quota": lambda v, a, q: quota(v, a["regionName"]),
    }
)
