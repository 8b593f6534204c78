"""Family ``quota``: each quota's limit and usage per region, so that alerts fire before a limit bites.

Units are converted here once: quota RAM is in MB (MiB for OpenStack), volume and share sizes in GB
(GiB for OpenStack). A limit of -1 means unlimited and is not reported; null categories are normal (a
service the region does not offer) and skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from otel_ovh.families.attributes import REGION, Attribute
from otel_ovh.families.base import PROJECT, Column, Family, Kind, Metric, Point, Regions, Scope
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import GIB, MIB, Fields, Problems, iter_keyed

ROUTE = PROJECT + "/quota"


@dataclass(frozen=True, slots=True)
class Quota:
    region: str
    quota: str
    limit: float | None  # None: unlimited (-1) or not given
    usage: float | None  # None: OVH gives no usage for it (keypairs)


@dataclass(frozen=True)
class _QuotaField:
    category: str
    limit_key: str
    usage_key: str | None  # keypairs and per-share size have no usage counterpart
    quota: str
    scale: float = 1.0


# Units: quota RAM is in MB (MiB for OpenStack), volume and share sizes in GB (GiB for OpenStack).
_QUOTA_FIELDS = (
    _QuotaField("instance", "maxInstances", "usedInstances", "instances"),
    _QuotaField("instance", "maxCores", "usedCores", "cores"),
    _QuotaField("instance", "maxRam", "usedRAM", "ram_bytes", MIB),
    _QuotaField("volume", "maxVolumeCount", "volumeCount", "volumes"),
    _QuotaField("volume", "maxGigabytes", "usedGigabytes", "volume_bytes", GIB),
    _QuotaField("volume", "maxVolumeBackupCount", "volumeBackupCount", "volume_backups"),
    _QuotaField("volume", "maxBackupGigabytes", "usedBackupGigabytes", "volume_backup_bytes", GIB),
    _QuotaField("network", "maxNetworks", "usedNetworks", "networks"),
    _QuotaField("network", "maxSubnets", "usedSubnets", "subnets"),
    _QuotaField("network", "maxFloatingIPs", "usedFloatingIPs", "floating_ips"),
    _QuotaField("network", "maxGateways", "usedGateways", "gateways"),
    _QuotaField("loadbalancer", "maxLoadbalancers", "usedLoadbalancers", "load_balancers"),
    _QuotaField("keymanager", "maxSecrets", "usedSecrets", "secrets"),
    _QuotaField("keypair", "maxCount", None, "keypairs"),
    _QuotaField("share", "maxSharesNumber", "usedSharesNumber", "shares"),
    _QuotaField("share", "maxShareSizeTotal", "usedShareSizeTotal", "share_bytes", GIB),
    _QuotaField("share", "maxShareSizePerShare", None, "share_size_per_share_bytes", GIB),
    _QuotaField("share", "maxShareSnapshots", "usedShareSnapshots", "share_snapshots"),
    _QuotaField("share", "maxShareBackups", "usedShareBackups", "share_backups"),
    _QuotaField("share", "maxShareBackupGigabytes", "usedShareBackupGigabytes", "share_backup_bytes", GIB),
)
QUOTA = Attribute(
    "ovh.quota",
    "Which quota of the region: a count, or a size in bytes when the name ends in `_bytes`.",
    tuple(dict.fromkeys(field.quota for field in _QUOTA_FIELDS)),
)


def _quota_value(category: Fields, key: str, scale: float, *, is_limit: bool) -> float | None:
    if is_limit and category.raw(key) == -1:  # unlimited: a limit of "-1 bytes" would be a lie
        return None
    return category.number(key, scale=scale, minimum=0)


def parse_quotas(body: object, problems: Problems) -> list[Quota]:
    quotas: list[Quota] = []
    for region, region_quota in iter_keyed(body, "quota", problems, "region"):
        for field in _QUOTA_FIELDS:
            category = region_quota.obj(field.category)
            if category is None:  # null categories are normal (service not offered in the region)
                continue
            limit = _quota_value(category, field.limit_key, field.scale, is_limit=True)
            usage = (
                _quota_value(category, field.usage_key, field.scale, is_limit=False)
                if field.usage_key
                else None
            )
            if limit is not None or usage is not None:
                quotas.append(Quota(region=region, quota=field.quota, limit=limit, usage=usage))
    return quotas


def _fetch(api: OvhApi, scope: Scope) -> tuple[Quota, ...]:
    return tuple(parse_quotas(api.get(ROUTE, scope.params()), scope.problems))


def _points(which: str) -> Callable[[tuple[Quota, ...]], Iterable[Point]]:
    def points(quotas: tuple[Quota, ...]) -> Iterable[Point]:
        for q in quotas:
            value = q.limit if which == "limit" else q.usage
            if value is not None:
                yield {REGION.key: q.region, QUOTA.key: q.quota}, value

    return points


def _narrow(quotas: tuple[Quota, ...], regions: Regions) -> tuple[Quota, ...]:
    """Wanted regions only, and, once known, only those where the project uses something."""
    return tuple(
        q for q in quotas if regions.wanted(q.region) and (regions.used is None or q.region in regions.used)
    )


def _unit(attributes: Mapping[str, object]) -> str:
    return "By" if str(attributes.get(QUOTA.key, "")).endswith("_bytes") else "{quota}"


def _top(quotas: tuple[Quota, ...] | None) -> str:
    saturation = [(q.usage / q.limit, q) for q in quotas or () if q.limit and q.usage is not None]
    top = max(saturation, key=lambda item: item[0], default=None)
    return f"{top[1].quota}@{top[1].region} {top[0]:.0%}" if top else "-"


FAMILY: Family[tuple[Quota, ...]] = Family(
    name="quota",
    routes=(ROUTE,),
    fetch=_fetch,
    metrics=(
        Metric(
            name="ovh.cloud.quota.limit",
            kind=Kind.GAUGE,
            unit="{quota}",
            description="Quota limit per region; sizes in bytes. Unlimited quotas (-1) are not reported.",
            attributes=(REGION, QUOTA),
            source="`quota` (`max*` fields; RAM MiB, volume GiB)",
            points=_points("limit"),
            point_unit=_unit,
        ),
        Metric(
            name="ovh.cloud.quota.usage",
            kind=Kind.GAUGE,
            unit="{quota}",
            description="Quota usage per region; sizes in bytes.",
            attributes=(REGION, QUOTA),
            source="`quota` (`used*` fields; RAM MiB, volume GiB)",
            points=_points("usage"),
            point_unit=_unit,
        ),
    ),
    columns=(Column("top quota", _top, "<"),),
    narrow=_narrow,
    regions_in_use=lambda quotas: (q.region for q in quotas if q.usage),
    notes=("Values of `ovh_quota`: " + ", ".join(f"`{name}`" for name in QUOTA.values) + ".",),
)
