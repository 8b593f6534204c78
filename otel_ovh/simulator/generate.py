"""Seeded generation of projects and resources.

One `random.Random(seed)` drives the shared part of a project (the project itself, its quota counters,
instances, volumes, storage and billed extras), in a fixed order, so a seed always gives the same
account (dates are relative to the clock at generation). The first resources of every project are
laid out round-robin over the tables (regions, flavors, volume types, storage classes) rather than
drawn at random, so that even the small default world shows every kind of usage line and quirk;
beyond those, choices are random, which gives a realistic spread at benchmark scale.

Per project index `i`: every third project (i % 3 == 1) answers the 2024-era shapes (`legacy`);
i % 3 == 0 projects also have Rancher, a quantum notebook and a savings plan (families/savings_plans.py gives
it a term, and a second idle plan or an instance beyond it); i % 4 == 2 projects are "discovery" projects (no
order, an expiration date); i % 4 == 3 have a null description.
Each project has one compute region where it uses nothing at all (`idle_region`).
What is one family's alone (credits, alerts, clusters, network inventory…) its module in `families/`
generates afterwards, from a random stream of its own (`Family.populate`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from otel_ovh.simulator.catalog import (
    CERTIFICATION,
    COMPUTE_REGIONS,
    EXTRAS,
    FLAVORS,
    LEGACY_S3_CLASSES,
    LEGACY_VOLUME_TYPES,
    RANDOM_QUOTA_USAGE,
    S3_CLASSES,
    SAVINGS_PLAN_FLAVOR,
    SAVINGS_PLAN_HOURLY,
    STORAGE_REGIONS,
    VOLUME_TYPES,
    region_spec,
)
from otel_ovh.simulator.ids import random_hex, random_uuid, stable_uuid
from otel_ovh.simulator.model import Bucket, Container, Instance, Meter, Project, Volume
from otel_ovh.simulator.timeutil import month_start

DAY = 86400
GIB = 1 << 30
NAMES = ("prod-eu", "staging", "data-platform", "ml-lab", "sandbox")
ROLES = ("web", "api", "db", "worker", "cache", "batch", "etl", "ci")
VOLUME_SIZES = (10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class WorldShape:
    """The scale knobs of a generated account (per project counts; extras scale with instances)."""

    projects: int = 3
    instances_per_project: int = 6
    volumes_per_project: int = 5
    containers_per_project: int = 2
    buckets_per_project: int = 3
    # Managed Kubernetes, on even projects: clusters each, nodepools per cluster (None: one or two, drawn)
    clusters: int | None = None
    nodepools: int | None = None


class Generator:
    """Draws projects and resources; the World also uses it for the resources tests create later."""

    def __init__(self, seed: int, shape: WorldShape, rng: random.Random | None = None) -> None:
        self.seed = seed
        self.shape = shape
        self.rng = rng or random.Random(seed)

    def created(self, now: int, recent: bool) -> int:
        """A creation date: this month (so the resource is billed from then) or long before."""
        if recent:
            start = month_start(now)
            return self.rng.randint(start, max(start, now - 60))
        return now - self.rng.randint(35 * DAY, 700 * DAY)

    def project(self, index: int, now: int, empty: bool = False) -> Project:
        rng = self.rng
        name = NAMES[index] if index < len(NAMES) else f"project-{index:02d}"
        discovery = index % 4 == 2
        idle = COMPUTE_REGIONS[(len(COMPUTE_REGIONS) - 1 - index) % len(COMPUTE_REGIONS)]
        project = Project(
            id=random_hex(rng),
            name=name,
            description=None if index % 4 == 3 else name,
            created=now - rng.randint(60 * DAY, 1500 * DAY),
            created_micro=rng.randrange(1_000_000),
            plan_code="project.discovery" if discovery else "project.2018",
            legacy=index % 3 == 1,
            regions=[*COMPUTE_REGIONS, *STORAGE_REGIONS],
            idle_region=idle,
            order_id=None if discovery else rng.randrange(10**8, 10**9),
            iam_id=random_uuid(rng),
            s3_owner=rng.randrange(10**5, 10**6),
            expiration=now + 30 * DAY if discovery else None,
            index=index,
        )
        for region in COMPUTE_REGIONS:
            project.quota_usage[region] = (
                {}
                if region == idle
                else {key: rng.randint(0, high) for key, high in RANDOM_QUOTA_USAGE.items()}
            )
        if not empty:
            self._populate(project, index, now)
        return project

    def active_regions(self, project: Project) -> list[str]:
        return [r for r in project.regions if region_spec(r).compute and r != project.idle_region]

    def _spread(self, choices: list[str] | tuple[str, ...], j: int) -> str:
        """Round-robin over the first len(choices) items, random after: coverage first, then spread."""
        return choices[j] if j < len(choices) else self.rng.choice(choices)

    def _populate(self, project: Project, index: int, now: int) -> None:
        shape = self.shape
        active = self.active_regions(project)
        for j in range(shape.instances_per_project):
            self.add_instance(project, self._spread(active, j), now, j)
        for j in range(shape.volumes_per_project):
            self.add_volume(project, self._spread(active, j), now, j)
        for j in range(shape.containers_per_project):
            self.add_container(project, now, j)
        for j in range(shape.buckets_per_project):
            self.add_bucket(project, now, j)
        self._add_extras(project, index, now, active)

    def add_instance(
        self, project: Project, region: str, now: int, j: int, created: int | None = None
    ) -> Instance:
        rng = self.rng
        turn = project.index % len(FLAVORS)  # each project starts the flavor round-robin further on
        flavor = self._spread(tuple(FLAVORS)[turn:] + tuple(FLAVORS)[:turn], j)
        spec = region_spec(region)
        when = created if created is not None else self.created(now, recent=j % 3 == 2)
        inst = Instance(
            id=random_uuid(rng),
            name=f"{ROLES[j % len(ROLES)]}-{j}",
            region=region,
            flavor=flavor,
            created=when,
            image_id=stable_uuid(self.seed, "image", FLAVORS[flavor].os_type, region),
            public_ip=f"51.{rng.randint(68, 91)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            private_ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}",
            network_id=stable_uuid(self.seed, "network", project.id, region).replace("-", ""),
            status="SHUTOFF" if j % 7 == 5 else "ACTIVE",
            monthly_since=when if (j + 2 * project.index) % 4 == 2 else None,
            has_plan_code=j % 5 != 4,
            ssh_key_id=random_uuid(rng) if j % 2 == 0 else None,
            traffic_per_hour=rng.randint(50, 5000) * 1_000_000,
            local_disk=j % 2 == 1,
            availability_zone=rng.choice(spec.availability_zones) if spec.availability_zones else None,
        )
        project.instances[inst.id] = inst
        return inst

    def add_volume(
        self,
        project: Project,
        region: str,
        now: int,
        j: int,
        created: int | None = None,
        size: int | None = None,
    ) -> Volume:
        rng = self.rng
        types = LEGACY_VOLUME_TYPES if project.legacy else tuple(VOLUME_TYPES)
        hosts = project.live_instances(region)
        host = rng.choice(hosts) if hosts and rng.random() < 0.7 else None
        spec = region_spec(region)
        zone = host.availability_zone if host else None
        if spec.availability_zones and zone is None:
            zone = rng.choice(spec.availability_zones)
        vol = Volume(
            id=random_uuid(rng),
            name=f"{ROLES[(j + 2) % len(ROLES)]}-data-{j}",
            region=region,
            type=types[j % len(types)],
            size=size or rng.choice(VOLUME_SIZES),
            created=created if created is not None else self.created(now, recent=j % 3 == 1),
            attached_to=[host.id] if host else [],
            bootable=j % 4 == 0,
            availability_zone=zone,
        )
        project.volumes[vol.id] = vol
        return vol

    def add_container(self, project: Project, now: int, j: int) -> None:
        rng = self.rng
        project.containers.append(
            Container(
                name=f"{ROLES[j % len(ROLES)]}-swift-{rng.getrandbits(16):04x}",
                region=self._spread(STORAGE_REGIONS, j),
                stored_bytes=rng.randint(10 << 20, 200 * GIB),
                stored_objects=rng.randint(1, 500_000),
                container_type=("private", "public", "static")[j % 3],
                archive=j % 4 == 3,
                created=self.created(now, recent=False),
            )
        )

    def add_bucket(self, project: Project, now: int, j: int) -> None:
        rng = self.rng
        classes = LEGACY_S3_CLASSES if project.legacy else S3_CLASSES
        storage_class = classes[j % len(classes)]
        project.buckets.append(
            Bucket(
                name=f"{project.name}-{ROLES[j % len(ROLES)]}-{rng.getrandbits(24):06x}",
                region=self._spread(STORAGE_REGIONS, j),
                storage_class=storage_class,
                created=self.created(now, recent=j % 3 == 2),
                objects_count=rng.randint(1, 2_000_000),
                objects_size=rng.randint(1, 2000) * GIB + rng.randint(0, GIB),
                ingress=round(rng.uniform(0.01, 2.0), 4),
                egress=round(rng.uniform(0.01, 1.0), 4),
                internal_in=round(rng.uniform(0.0, 0.01), 6),
                internal_out=round(rng.uniform(0.0, 0.01), 6),
                retrieval=round(rng.uniform(0.01, 0.2), 4)
                if storage_class == "storage-coldarchive" and not project.legacy
                else 0.0,
            )
        )

    def _add_extras(self, project: Project, index: int, now: int, active: list[str]) -> None:
        rng = self.rng
        count_base = self.shape.instances_per_project
        for spec in EXTRAS:
            if (
                (spec.modern and project.legacy)
                or (not spec.every_project and index % 3 != 0)
                or not count_base
            ):
                continue
            regions = [
                r for r in active if spec.quota is None or spec.quota in region_spec(r).quota_categories
            ]
            for k in range(max(1, count_base // spec.per_instances) if regions else 0):
                rate = spec.rate * rng.uniform(0.5, 3.0) if spec.unit == "GiBh" else spec.rate
                project.extras.append(
                    Meter(
                        spec.kind,
                        spec.reference,
                        rng.choice(regions),
                        random_uuid(rng),
                        spec.unit,
                        round(rate, 2),
                        spec.price,
                        self.created(now, recent=k % 2 == 1),
                        part=spec.part,
                    )
                )
        if index % 5 == 0 and count_base:
            reference, price = CERTIFICATION
            project.extras.append(
                Meter(
                    "monthly.certification",
                    reference,
                    None,
                    random_uuid(rng),
                    "",
                    0.0,
                    price,
                    self.created(now, recent=False),
                )
            )
        if index % 3 == 0 and not project.legacy:
            self._add_savings_plan(project, now)

    def _add_savings_plan(self, project: Project, now: int) -> None:
        covered = next(
            (
                i
                for i in project.instances.values()
                if i.flavor == SAVINGS_PLAN_FLAVOR and i.monthly_since is None
            ),
            None,
        )
        if covered is None:
            return
        plan_id = random_uuid(self.rng)
        covered.savings_plan = plan_id
        project.extras.append(
            Meter(
                "monthly.savingsPlan",
                SAVINGS_PLAN_FLAVOR,
                None,
                plan_id,
                "",
                1.0,
                SAVINGS_PLAN_HOURLY,
                self.created(now, recent=False),
                group=f"{SAVINGS_PLAN_FLAVOR} commitment",
            )
        )
