"""The simulated account's state: projects and the resources in them, as plain mutable records.

Resources keep their creation time and, once deleted, their deletion time: OVH goes on billing a
deleted instance's hours until the end of the month it was deleted in, so a deleted resource leaves
the resource lists at once but stays in `usage/current` (frozen) until the period rolls over.
Times are integer epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Meter:
    """One billed figure: the finest level at which a usage body shows a quantity and a price.

    `kind` names the usage section it is rendered into (table in billing.py); `reference` the grouping
    label (flavor, volume type, storage class, product); `resource_id` the id shown in the detail.
    Its quantity is `rate` per hour between `start` (or the period start) and `end` (or now); its price
    is the quantity times `unit_price`, or for monthly kinds `unit_price` prorated over the month.
    `group` is the storage line's bucket (None for Swift) or a savings plan's name, `part` the
    sub-object of a composite line (`stored`, `outgoingBandwidth`, `instance` snapshot…), and
    `covered_by` the savings plan that makes an instance's hours free.
    """

    kind: str
    reference: str
    region: str | None
    resource_id: str
    unit: str
    rate: float
    unit_price: float
    start: int
    end: int | None = None
    group: str | None = None
    part: str = ""
    covered_by: str | None = None


@dataclass
class Instance:
    id: str
    name: str
    region: str
    flavor: str
    created: int
    image_id: str
    public_ip: str
    private_ip: str
    network_id: str
    status: str = "ACTIVE"
    monthly_since: int | None = None  # None: billed by the hour
    has_plan_code: bool = True
    ssh_key_id: str | None = None
    traffic_per_hour: int = 0  # bytes sent to the internet per hour
    local_disk: bool = False
    availability_zone: str | None = None
    savings_plan: str | None = None
    deleted: int | None = None


@dataclass
class Volume:
    id: str
    name: str
    region: str
    type: str
    size: int  # GB
    created: int
    attached_to: list[str] = field(default_factory=list)
    bootable: bool = False
    availability_zone: str | None = None
    deleted: int | None = None


@dataclass
class Container:
    """A Swift container (legacy object storage): billed per region, never per container."""

    name: str
    region: str
    stored_bytes: int
    stored_objects: int
    container_type: str
    archive: bool
    created: int


@dataclass
class Bucket:
    """An S3 bucket; traffic rates are GiB per hour (internal = inside OVH's network)."""

    name: str
    region: str
    storage_class: str
    created: int
    objects_count: int
    objects_size: int  # bytes
    ingress: float
    egress: float
    internal_in: float
    internal_out: float
    retrieval: float = 0.0


@dataclass
class Credit:
    """A voucher or goodwill credit: what it gave, what past bills used, and when it may be used."""

    id: int
    description: str | None
    total_cents: int
    used_cents: int
    granted_at: int
    valid_from: int | None
    valid_to: int | None  # None: no expiry
    voucher: str | None = None
    bill: str | None = None
    products: list[str] | None = None


@dataclass
class SpendAlert:
    """A billing alert of the control panel: mail when the month's spend (of one service, or all)
    passes ``threshold``, a whole amount in the account's currency."""

    id: str
    name: str
    threshold: int
    created: int
    service: str = "all"
    status: str = "ok"
    delay: int = 86_400
    emails: list[str] = field(default_factory=list)


@dataclass
class NetworkResource:
    """A floating IP, gateway or load balancer; its cost is the meter of the same id (resourcesUsage).

    ``associated`` is a floating IP's entity (type, id, ip), None when it is idle; ``floating_ip`` a
    load balancer's (id, ip) when one is associated with it.
    """

    kind: str  # "floatingip", "gateway" or "loadbalancer"
    id: str
    region: str
    name: str
    status: str
    created: int
    ip: str
    network_id: str
    model: str = ""  # a gateway's size
    operating_status: str = ""  # a load balancer's
    associated: tuple[str, str, str] | None = None
    gateway_id: str | None = None
    floating_ip: tuple[str, str] | None = None


@dataclass
class KubeNode:
    """A Managed Kubernetes node: the project instance it runs on (``instance_id``), and once the
    autoscaler removed it, when (the instance is deleted at the same time and billed until then)."""

    id: str
    name: str
    instance_id: str | None
    created: int
    deleted: int | None = None


@dataclass
class NodePool:
    id: str
    name: str
    flavor: str
    min_nodes: int
    max_nodes: int
    desired: int
    created: int
    monthly: bool = False
    nodes: list[KubeNode] = field(default_factory=list)


@dataclass
class Cluster:
    id: str
    name: str
    region: str
    version: str
    plan: str
    created: int
    etcd_usage: int  # bytes
    etcd_quota: int
    status: str = "READY"
    pools: list[NodePool] = field(default_factory=list)


@dataclass
class Project:
    id: str
    name: str
    description: str | None
    created: int
    created_micro: int
    plan_code: str
    legacy: bool  # answers the 2024-era shapes (see legacy.py)
    regions: list[str]
    idle_region: str  # a region the project may use but where it has nothing at all
    order_id: int | None
    iam_id: str
    s3_owner: int
    expiration: int | None = None
    index: int = 0  # order of generation: the generator's round-robins start from it
    instances: dict[str, Instance] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    containers: list[Container] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    extras: list[Meter] = field(default_factory=list)
    quota_usage: dict[str, dict[str, int]] = field(default_factory=dict)  # region -> counters not derived
    credits: list[Credit] = field(default_factory=list)
    alerts: list[SpendAlert] = field(default_factory=list)
    plan_terms: dict[str, int] = field(default_factory=dict)  # savings plan id -> months per term
    network: list[NetworkResource] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)  # Managed Kubernetes
    # Cents the account's consumption (``/me/consumption``) shows for the project beyond its own
    # ``usage/current``: 0 is OVH's two views agreeing; a test sets another to see them disagree.
    consumption_gap: int = 0

    def live_instances(self, region: str | None = None) -> list[Instance]:
        return [i for i in self.instances.values() if i.deleted is None and region in (None, i.region)]

    def live_volumes(self, region: str | None = None) -> list[Volume]:
        return [v for v in self.volumes.values() if v.deleted is None and region in (None, v.region)]
