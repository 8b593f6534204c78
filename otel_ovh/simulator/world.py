"""The simulated account: projects generated from a seed, their answers, and the mutations tests use.

`World.body(path, query)` is exactly what the API answers now for a GET path (relative to `/1.0`),
so tests compute expected figures from it. The clock is injectable (`clock=lambda: t`); answers are
computed from `int(clock())`, so within one clock second, and between two mutations, the same path
always gives the same answer. Rendered answers are cached on that (second, mutation count) pair:
a benchmark's many projects and repeated scrapes cost one rendering each per second.

Thread safety: one lock guards the projects; rendering happens under it (mutations are rare, and a
render is milliseconds even for a project of a hundred instances).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from otel_ovh.simulator.catalog import region_spec
from otel_ovh.simulator.errors import invalid_url, not_found
from otel_ovh.simulator.families import (
    ACCOUNT_HANDLERS,
    ACCOUNT_ROUTES,
    AUTOSCALE,
    CLOUD_ROUTES,
    HANDLERS,
    POPULATE,
)
from otel_ovh.simulator.family import AccountView, Autoscale, Query, View
from otel_ovh.simulator.generate import Generator, WorldShape
from otel_ovh.simulator.model import Project
from otel_ovh.simulator.routes import PROJECTS, Router

ROUTER = Router(CLOUD_ROUTES + ACCOUNT_ROUTES)


class World:
    """A seeded OVH account. See the module docstring for the contract of `body()`."""

    def __init__(
        self, seed: int = 42, shape: WorldShape | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.seed = seed
        self.shape = shape or WorldShape()
        self.clock = clock
        self._lock = threading.RLock()
        self._generator = Generator(seed, self.shape)
        self._projects: dict[str, Project] = {}
        self._created = 0  # projects ever created: the index of the next one
        self._version = 0
        self._autoscaled = 0  # autoscaler passes so far: each draws from its own stream
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], bytes] = {}
        self._cache_stamp = (-1, -1)
        now = self.now()
        for _ in range(self.shape.projects):
            self._new_project(now, empty=False)

    def now(self) -> int:
        return int(self.clock())

    @property
    def project_ids(self) -> list[str]:
        with self._lock:
            return list(self._projects)

    def project(self, project_id: str) -> Project:
        """The live record (for tests that need a resource's details); do not mutate it directly."""
        with self._lock:
            try:
                return self._projects[project_id]
            except KeyError:
                raise not_found() from None

    # --- answers ---------------------------------------------------------------------------------
    def answer(self, path: str, query: Query | None = None) -> bytes:
        """The JSON bytes the API answers for GET `path` (relative to /1.0); raises ApiError."""
        key = (path, tuple(sorted((query or {}).items())))
        with self._lock:
            stamp = (self.now(), self._version)
            if stamp != self._cache_stamp:
                self._cache.clear()
                self._cache_stamp = stamp
            cached = self._cache.get(key)
            if cached is None:
                cached = json.dumps(self._render(path, query or {}, stamp[0]), separators=(",", ":")).encode()
                self._cache[key] = cached
            return cached

    def body(self, path: str, query: Query | None = None) -> Any:
        """What the API would answer now for GET `path`, as a fresh JSON value; raises ApiError."""
        return json.loads(self.answer(path, query))

    def _render(self, path: str, query: Query, now: int) -> Any:
        match = ROUTER.match(path)
        if match is None:
            raise invalid_url()
        if match.template == PROJECTS:
            return list(self._projects)
        if match.template in ACCOUNT_HANDLERS:  # the whole account: every project is one of its services
            account = AccountView(list(self._projects.values()), now, self.seed)
            return ACCOUNT_HANDLERS[match.template](account, match.params, query)
        view = View(self.project(match.params["serviceName"]), now, self.seed)
        return HANDLERS[match.template](view, match.params, query)

    # --- mutations -------------------------------------------------------------------------------
    def _mutated(self) -> None:
        self._version += 1

    def _new_project(self, now: int, empty: bool) -> str:
        project = self._generator.project(self._created, now, empty=empty)
        for populate in POPULATE:
            populate(self._generator, project, now, empty)
        self._created += 1
        self._projects[project.id] = project
        return project.id

    def add_project(self, empty: bool = False) -> str:
        """A new project generated like the others (or with nothing in it); returns its id."""
        with self._lock:
            self._mutated()
            return self._new_project(self.now(), empty)

    def remove_project(self, project_id: str) -> None:
        """The project disappears: its id leaves the list and its paths answer 404."""
        with self._lock:
            self.project(project_id)
            del self._projects[project_id]
            self._mutated()

    def _compute_region(self, project: Project, region: str | None) -> str:
        if region is None:
            return self._generator.rng.choice(self._generator.active_regions(project))
        if region not in project.regions or not region_spec(region).compute:
            raise ValueError(f"{region} is not a compute region of project {project.id}")
        return region

    def create_instance(self, project_id: str, region: str | None = None) -> str:
        """A new hourly instance, created now (so it is billed from now); returns its id."""
        with self._lock:
            project = self.project(project_id)
            now = self.now()
            inst = self._generator.add_instance(
                project, self._compute_region(project, region), now, len(project.instances), created=now
            )
            inst.monthly_since = None
            self._mutated()
            return inst.id

    def delete_instance(self, project_id: str, instance_id: str) -> None:
        """Gone from the lists now; its usage stays, frozen, until the billing period ends (as at OVH)."""
        with self._lock:
            project = self.project(project_id)
            inst = project.instances[instance_id]
            inst.deleted = self.now()
            _detach(project, instance_id)
            self._mutated()

    def autoscale(self, project_id: str | None = None) -> int:
        """One pass of the families' autoscalers (``Family.autoscale``: Managed Kubernetes resizes every
        nodepool) over one project, or all: nodes come and go now, with their instances. Deterministic from
        the seed and the number of passes so far; returns how many instances were created or deleted."""
        with self._lock:
            now = self.now()
            changed = 0
            for project in [self.project(project_id)] if project_id else list(self._projects.values()):
                rng = random.Random(f"{self.seed}/autoscale/{project.index}/{self._autoscaled}")
                before = len(project.instances)
                add = Generator(self.seed, self.shape, rng).add_instance
                removed = [gone for scale in AUTOSCALE for gone in scale(rng, project, now, add)]
                for instance_id in removed:
                    _detach(project, instance_id)
                changed += len(removed) + len(project.instances) - before
            self._autoscaled += 1
            self._mutated()
            return changed

    def change(self, project_id: str, change: Autoscale) -> None:
        """A change a test drives, as a family module makes it (``kube.resize_nodepool``,
        ``network.add_gateways``): made now from a stream of its own; the instances it deletes leave their
        volumes and floating IPs, as the autoscaler's do."""
        with self._lock:
            now = self.now()
            project = self.project(project_id)
            rng = random.Random(f"{self.seed}/change/{project.index}/{self._autoscaled}")
            self._autoscaled += 1
            add = Generator(self.seed, self.shape, rng).add_instance
            for instance_id in change(rng, project, now, add):
                _detach(project, instance_id)
            self._mutated()

    def create_volume(self, project_id: str, region: str | None = None, size: int | None = None) -> str:
        """A new volume created now (attached to an instance of its region or not); returns its id."""
        with self._lock:
            project = self.project(project_id)
            now = self.now()
            vol = self._generator.add_volume(
                project,
                self._compute_region(project, region),
                now,
                len(project.volumes),
                created=now,
                size=size,
            )
            self._mutated()
            return vol.id

    def delete_volume(self, project_id: str, volume_id: str) -> None:
        """Like delete_instance: out of the lists now, billed until then."""
        with self._lock:
            self.project(project_id).volumes[volume_id].deleted = self.now()
            self._mutated()

    def add_region(self, project_id: str, name: str) -> None:
        """The project gains a region (known or not to the catalog), empty: listed, quota all zero."""
        with self._lock:
            project = self.project(project_id)
            if name not in project.regions:
                project.regions.append(name)
                project.quota_usage[name] = {}
                self._mutated()


def _detach(project: Project, instance_id: str) -> None:
    """A deleted instance leaves what it used: volumes are detached, floating IPs left unassociated."""
    for vol in project.volumes.values():
        if instance_id in vol.attached_to:
            vol.attached_to.remove(instance_id)
    for resource in project.network:
        if resource.associated is not None and resource.associated[1] == instance_id:
            resource.associated, resource.status = None, "down"
