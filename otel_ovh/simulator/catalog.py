"""Static tables of the simulated OVHcloud offer: regions, flavors, volume and storage classes, extras.

Everything the generator varies is drawn from these tables, so a new region, flavor or product is one
row here rather than new code. Prices are invented but of the right order of magnitude (EUR, excl.
VAT); what matters to the tests is that they are fixed and make the cost arithmetic non-trivial.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_QUOTA_CATEGORIES = ("instance", "keypair", "volume", "network", "loadbalancer", "keymanager", "share")


@dataclass(frozen=True)
class RegionSpec:
    """One OpenStack region as `/region/{r}` and the quota/usage endpoints show it.

    `compute` regions carry instances, volumes and quotas; `object_storage` regions (the short names such
    as GRA, DE) carry Swift containers and S3 buckets. `quota_categories` lists the quota categories
    that are not null for that region (OVH answers null for services a region lacks), and `unlimited`
    the instance limits reported as -1.
    """

    name: str
    continent: str
    country: str
    location: str
    compute: bool = True
    object_storage: bool = False
    availability_zones: tuple[str, ...] = ()
    quota_categories: tuple[str, ...] = ALL_QUOTA_CATEGORIES
    unlimited: bool = False
    billed_bandwidth: bool = False  # outgoing instance traffic is billed (APAC regions)

    @property
    def region_type(self) -> str:
        return "region-3-az" if self.availability_zones else "region"

    @property
    def deployment_mode(self) -> str:
        return "REGION-3-AZ" if self.availability_zones else "REGION-1-AZ"


REGIONS: dict[str, RegionSpec] = {
    r.name: r
    for r in (
        RegionSpec("GRA11", "EU", "fr", "Gravelines"),
        RegionSpec(
            "SBG5",
            "EU",
            "fr",
            "Strasbourg",
            quota_categories=tuple(c for c in ALL_QUOTA_CATEGORIES if c != "share"),
        ),
        RegionSpec("BHS5", "NA", "ca", "Beauharnois", quota_categories=("instance", "keypair", "volume")),
        RegionSpec("DE1", "EU", "de", "Frankfurt"),
        RegionSpec(
            "EU-WEST-PAR",
            "EU",
            "fr",
            "Paris",
            unlimited=True,
            availability_zones=("eu-west-par-a", "eu-west-par-b", "eu-west-par-c"),
        ),
        RegionSpec(
            "SGP1",
            "ASIA",
            "sg",
            "Singapore",
            billed_bandwidth=True,
            quota_categories=("instance", "keypair", "volume", "network"),
        ),
        RegionSpec("WAW1", "EU", "pl", "Warsaw", quota_categories=("instance", "keypair"), unlimited=True),
        RegionSpec("GRA", "EU", "fr", "Gravelines", compute=False, object_storage=True),
        RegionSpec("DE", "EU", "de", "Frankfurt", compute=False, object_storage=True),
    )
}


def region_spec(name: str) -> RegionSpec:
    """The table's row, or a plain 1-AZ compute region for a name a test added (World.add_region)."""
    return REGIONS.get(name) or RegionSpec(name, "EU", "fr", name.title())


COMPUTE_REGIONS = tuple(r.name for r in REGIONS.values() if r.compute)
STORAGE_REGIONS = tuple(r.name for r in REGIONS.values() if r.object_storage)

COMPUTE_SERVICES = ("instance", "network", "volume", "image", "keymanager", "loadbalancer", "kubernetes")
STORAGE_SERVICES = ("storage", "storage-s3-standard", "storage-s3-high-perf")


@dataclass(frozen=True)
class FlavorSpec:
    """An instance model. `ram` and `disk` are GB as the API gives them; prices per hour and per month.

    `local_disk` names the usage line suffix of instances billed for extra local disk (OVH's manager
    shows `b3-16.local-disk-gb` lines in GiBh); `license_price` is the hourly Windows licence option.
    """

    name: str
    vcpus: int
    ram: int
    disk: int
    kind: str
    hourly: float
    monthly: float
    bandwidth: int | None = 250
    os_type: str = "linux"
    local_disk: str | None = None
    license_price: float = 0.0


# Order matters: the first instances of a project take the flavors in this order, so that even the
# smallest default world has every kind of line (Windows option, local disk, GPU, null bandwidth).
FLAVORS: dict[str, FlavorSpec] = {
    f.name: f
    for f in (
        FlavorSpec("b3-8", 2, 8, 50, "ovh.ssd.eg", 0.0681, 37.40),
        FlavorSpec("b3-16", 4, 16, 100, "ovh.ssd.eg", 0.1362, 74.80, local_disk="local-disk-gb"),
        FlavorSpec(
            "win-b3-8", 2, 8, 50, "ovh.ssd.eg", 0.0681, 37.40, os_type="windows", license_price=0.0480
        ),
        FlavorSpec("c3-8", 4, 8, 50, "ovh.ssd.cpu", 0.0864, 47.52, local_disk="local-disk-tb"),
        FlavorSpec("d2-4", 2, 4, 50, "ovh.ssd.eg", 0.0165, 9.13, bandwidth=None),
        FlavorSpec("r3-32", 2, 32, 50, "ovh.ssd.ram", 0.1320, 72.60),
        FlavorSpec("b3-32", 8, 32, 200, "ovh.ssd.eg", 0.2724, 149.60),
        FlavorSpec("t2-45", 15, 45, 400, "ovh.ssd.gpu", 2.1000, 1150.00, bandwidth=2000),
    )
}
FLAVOR_LOCAL_DISK_PRICE = 0.00004  # per GiBh

# Volume types with their price per GiBh; the first three are the only ones 2024-era projects know.
VOLUME_TYPES: dict[str, float] = {
    "classic": 0.0000548,
    "high-speed": 0.0001096,
    "high-speed-gen2": 0.0001096,
    "classic-luks": 0.0000616,
    "classic-multiattach": 0.0000685,
    "high-speed-gen2-luks": 0.0001233,
}
LEGACY_VOLUME_TYPES = ("classic", "high-speed", "high-speed-gen2")


@dataclass(frozen=True)
class StorageClassSpec:
    """An object-storage usage line type: price per GiBh stored and per GiB leaving OVH."""

    name: str
    stored: float
    egress: float
    retrieval: float = 0.0  # per GiB read back (cold archive): billed as `retrievalFees`


STORAGE_CLASSES: dict[str, StorageClassSpec] = {
    s.name: s
    for s in (
        StorageClassSpec("storage-standard", 0.0000096, 0.011),
        StorageClassSpec("storage-high-perf", 0.0000247, 0.011),
        StorageClassSpec("storage-standard-ia", 0.0000069, 0.011),
        StorageClassSpec("storage-coldarchive", 0.0000027, 0.011, retrieval=0.0033),
        StorageClassSpec("pcs", 0.0000139, 0.011),
        StorageClassSpec("pca", 0.0000027, 0.011),
    )
}
S3_CLASSES = ("storage-standard", "storage-coldarchive", "storage-high-perf", "storage-standard-ia")
LEGACY_S3_CLASSES = ("storage-standard", "storage-high-perf", "storage-coldarchive")


@dataclass(frozen=True)
class ExtraSpec:
    """A billed product that is not an instance, volume or bucket (load balancer, MKS, Rancher…).

    `kind` is the usage section it lands in (see billing.py) and `part` the sub-object of a composite
    line; `per_instances` gives how many of them a project gets (one per that many instances, at least
    one when the project has any); `modern` marks products that 2024-era usage bodies cannot show, and
    `every_project=False` products only every third project has.
    """

    kind: str
    reference: str
    unit: str
    rate: float
    price: float
    per_instances: int
    part: str = ""
    modern: bool = False
    every_project: bool = True
    quota: str | None = None  # the quota category that counts it; it only goes where that is not null
    counter: str | None = None  # the quota usage key it counts in


EXTRAS: tuple[ExtraSpec, ...] = (
    ExtraSpec(
        "resources.floatingip",
        "floatingip",
        "Hour",
        1.0,
        0.0025,
        8,
        quota="network",
        counter="usedFloatingIPs",
    ),
    ExtraSpec(
        "resources.octavia-loadbalancer",
        "loadbalancer-small",
        "Hour",
        1.0,
        0.0139,
        20,
        quota="loadbalancer",
        counter="usedLoadbalancers",
    ),
    ExtraSpec("hourly.snapshot", "snapshot", "GiBh", 60.0, 0.0000137, 12, part="instance"),
    ExtraSpec("hourly.snapshot", "snapshot", "GiBh", 120.0, 0.0000137, 12, part="volume"),
    ExtraSpec("hourly.mks", "mks.standard.hour.consumption", "Hour", 1.0, 0.0950, 50, modern=True),
    ExtraSpec(
        "hourly.rancher", "rancher.standard", "Hour", 1.0, 0.0700, 80, modern=True, every_project=False
    ),
    ExtraSpec(
        "hourly.quantum.notebook",
        "qpu-notebook.sim",
        "Hour",
        1.0,
        0.0500,
        200,
        modern=True,
        every_project=False,
    ),
)

# A savings plan: commitment of `size` instances of a flavor, billed per hour whatever the use; the
# instances it covers are listed with its id and billed 0 on their hourly line.
QUOTA_COUNTERS = {spec.kind: spec.counter for spec in EXTRAS if spec.counter}
# Gateways are billed per hour by size; they are generated with the network inventory (families/network.py).
GATEWAY_KIND = "resources.gateway"
GATEWAY_PRICE = {"s": 0.0035, "m": 0.0139, "l": 0.0556}
QUOTA_COUNTERS[GATEWAY_KIND] = "usedGateways"

SAVINGS_PLAN_FLAVOR = "b3-8"
SAVINGS_PLAN_HOURLY = 0.0545
CERTIFICATION = ("hds", 150.0)  # monthly certification option (reference, monthly price)
BANDWIDTH_PRICE = 0.0090  # per GiB of billed outgoing instance traffic

# Quota categories: (limit key, usage key or None) pairs, and the limits a region starts with; a limit
# is raised to the usage when the usage exceeds it (OVH raises quotas automatically).
QUOTA_FIELDS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "instance": (("maxCores", "usedCores"), ("maxInstances", "usedInstances"), ("maxRam", "usedRAM")),
    "keypair": (("maxCount", None),),
    "volume": (
        ("maxGigabytes", "usedGigabytes"),
        ("maxVolumeCount", "volumeCount"),
        ("maxBackupGigabytes", "usedBackupGigabytes"),
        ("maxVolumeBackupCount", "volumeBackupCount"),
    ),
    "network": (
        ("maxNetworks", "usedNetworks"),
        ("maxSubnets", "usedSubnets"),
        ("maxFloatingIPs", "usedFloatingIPs"),
        ("maxGateways", "usedGateways"),
    ),
    "loadbalancer": (("maxLoadbalancers", "usedLoadbalancers"),),
    "keymanager": (("maxSecrets", "usedSecrets"),),
    "share": (
        ("maxSharesNumber", "usedSharesNumber"),
        ("maxShareSizeTotal", "usedShareSizeTotal"),
        ("maxShareSizePerShare", None),
        ("maxShareSnapshots", "usedShareSnapshots"),
        ("maxShareBackups", "usedShareBackups"),
        ("maxShareBackupGigabytes", "usedShareBackupGigabytes"),
    ),
}
QUOTA_LIMITS: dict[str, int] = {
    "maxCores": 34,
    "maxInstances": 20,
    "maxRam": 240000,
    "maxCount": 100,
    "maxGigabytes": 10000,
    "maxVolumeCount": 100,
    "maxBackupGigabytes": 10000,
    "maxVolumeBackupCount": 100,
    "maxNetworks": 100,
    "maxSubnets": 100,
    "maxFloatingIPs": 10,
    "maxGateways": 10,
    "maxLoadbalancers": 10,
    "maxSecrets": 100,
    "maxSharesNumber": 50,
    "maxShareSizeTotal": 10000,
    "maxShareSizePerShare": 10000,
    "maxShareSnapshots": 50,
    "maxShareBackups": 50,
    "maxShareBackupGigabytes": 10000,
}
# Usage counters the generator draws at random (the others are counted from the resources).
RANDOM_QUOTA_USAGE: dict[str, int] = {
    "usedBackupGigabytes": 200,
    "volumeBackupCount": 4,
    "usedNetworks": 3,
    "usedSubnets": 3,
    "usedGateways": 1,
    "usedSecrets": 6,
    "usedSharesNumber": 3,
    "usedShareSizeTotal": 300,
    "usedShareSnapshots": 2,
    "usedShareBackups": 2,
    "usedShareBackupGigabytes": 100,
}
