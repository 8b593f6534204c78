"""What otel-ovh keeps of OVH's answers: small frozen records in the units the metrics use.

Conversions happen once, at parsing: sizes in bytes, durations in seconds, money as a float in the
account's currency. Everything downstream (snapshot, catalog) works on these records and never sees
OVH's JSON, so a change of OVH's shapes touches only the parsers.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    project_id: str
    name: str
    status: str
    plan_code: str


@dataclass(frozen=True, slots=True)
class Charge:
    """One priced line of a bill, at the finest level OVH gives (an instance, a volume, a bucket)."""

    region: str
    service: str
    sku: str
    resource_id: str
    billing: str  # "hourly" or "monthly"
    price: float


@dataclass(frozen=True, slots=True)
class Consumption:
    """A measured quantity behind a charge: seconds of running, or byte×seconds of storage."""

    region: str
    service: str
    sku: str
    resource_id: str
    billing: str
    unit: str  # "seconds" or "byte_seconds"
    value: float


@dataclass(frozen=True, slots=True)
class Transfer:
    region: str
    service: str
    resource_id: str
    direction: str  # "receive" or "transmit"
    scope: str  # "external" or "internal"
    bytes: float


@dataclass(frozen=True, slots=True)
class Usage:
    """Month-to-date consumption from ``usage/current``."""

    period_start: float | None  # epoch seconds
    currency: str | None
    total: float | None  # OVH's own total, when the answer has one (newer shape)
    charges: tuple[Charge, ...]
    consumption: tuple[Consumption, ...]
    transfers: tuple[Transfer, ...]


@dataclass(frozen=True, slots=True)
class Forecast:
    total: float
    currency: str | None


@dataclass(frozen=True, slots=True)
class Quota:
    region: str
    quota: str
    limit: float | None  # None: unlimited (-1) or not given
    usage: float | None  # None: OVH gives no usage for it (keypairs)


@dataclass(frozen=True, slots=True)
class Flavor:
    id: str
    name: str
    region: str
    vcpus: int | None
    memory_bytes: float | None


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    name: str
    region: str
    status: str
    flavor_id: str | None
    flavor: Flavor | None  # embedded in detail answers; list answers carry flavor_id only


@dataclass(frozen=True, slots=True)
class Volume:
    id: str
    name: str
    region: str
    type: str
    status: str
    size_bytes: float | None


@dataclass(frozen=True, slots=True)
class Bucket:
    """A Swift container or an S3 bucket: both are billed as object storage, by name."""

    name: str
    region: str
    kind: str  # "swift" or "s3"
    size_bytes: float | None
    objects: float | None
