"""Which of a refresh's (project, family) fetches runs when, so that one slow project cannot hold the pool.

A project whose answers trickle holds a worker for each of its calls until the call's deadline; if all
its families started at once they would take every worker, and the other projects' fetches would wait
in the pool's queue past the refresh's deadline. So no project has more than half of the workers (all of
them when it is the only project), and fetches are handed to the pool only when a worker is free, in
project order: projects still finish one after the other, which lets the refresher publish them early.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from otel_ovh.collect.snapshot import ProjectData, Refreshed
from otel_ovh.families.base import Family
from otel_ovh.ovh.client import ApiError
from otel_ovh.ovh.errors import DEADLINE
from otel_ovh.ovh.fields import Problems


def background_priority() -> None:
    """Lower this thread's CPU priority (Linux applies ``nice`` per thread).

    Refreshing is CPU work (decoding OVH's answers, rendering tens of thousands of series) that nobody
    waits for, while a scrape has a deadline. On a small machine both compete for the same cores; a
    niced refresher lets the scheduler run a scrape thread first. Best effort: elsewhere it does nothing.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


Job = tuple[str, Family[Any]]


class FanOut:
    def __init__(
        self,
        submit: Callable[[str, Family[Any]], Future[Any]],
        jobs: Mapping[str, Sequence[Family[Any]]],
        workers: int,
    ) -> None:
        """``jobs``: the families each project starts with, in project order; more come with ``add``."""
        self._submit = submit
        self._workers = max(1, workers)
        self._per_project = self._workers if len(jobs) <= 1 else max(1, self._workers // 2)
        self._queued = {pid: deque(families) for pid, families in jobs.items()}
        self._running: Counter[str] = Counter()
        self._closed = False
        self.in_flight: dict[Future[Any], Job] = {}
        self._fill()

    def add(self, pid: str, families: Sequence[Family[Any]]) -> None:
        """More fetches for ``pid`` (families that could start only once others had answered)."""
        if families and not self._closed:
            self._queued[pid].extend(families)
            self._fill()

    def landed(self, future: Future[Any]) -> Job:
        """``future`` is done: its job, and the next fetches are handed to the pool."""
        pid, family = self.in_flight.pop(future)
        self._running[pid] -= 1
        self._fill()
        return pid, family

    def abandon(self) -> list[Job]:
        """Every fetch not landed, in flight or never started, given up (those in flight are cancelled if
        they have not started; the others end at the deadline their calls run within)."""
        self._closed = True
        jobs = list(self.in_flight.values())
        for future in self.in_flight:
            future.cancel()
        self.in_flight.clear()
        for pid, queue in self._queued.items():
            jobs.extend((pid, family) for family in queue)
            queue.clear()
        return jobs

    def _fill(self) -> None:
        while len(self.in_flight) < self._workers:
            job = self._next()
            if job is None:
                return
            self._running[job[0]] += 1
            self.in_flight[self._submit(*job)] = job

    def _next(self) -> Job | None:
        for pid, queue in self._queued.items():
            if queue and self._running[pid] < self._per_project:
                return pid, queue.popleft()
        return None


@dataclass
class ProjectRun:
    """One project's part of a refresh: what it fetched, what failed, what still waits."""

    project_id: str
    started: float
    pending: int
    records: ProjectData = field(default_factory=ProjectData)  # fetched in this refresh
    previous: ProjectData = field(default_factory=ProjectData)  # served, for the families not due
    errors: list[str] = field(default_factory=list)
    finished: float | None = None
    # Families waiting for those they use (``Family.uses``) that are on, and the names of those.
    waiting: list[tuple[Family[Any], set[str]]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)

    def startable(self) -> list[Family[Any]]:
        """The waiting families whose used families have all answered (or failed) in this refresh."""
        ready = [family for family, used in self.waiting if self.answered >= used]
        self.waiting = [(family, used) for family, used in self.waiting if family not in ready]
        return ready

    def result(self, now: float) -> Refreshed:
        return Refreshed(
            self.project_id, self.records, tuple(self.errors), self.started, self.finished or now
        )


def abandoned(family: Family[Any], seconds: float) -> tuple[ApiError, Problems]:
    """The outcome of a fetch still unanswered at the refresh's deadline (``seconds`` after its start).

    Its calls in flight end at the same deadline (``OvhApi.until``), so the pool is free for the next
    refresh; what has not started never will.
    """
    message = f"abandoned: no answer within the refresh's deadline (collect.refresh_timeout {seconds:g}s)"
    return ApiError((*family.routes, family.name)[0], 0, message, reason=DEADLINE), Problems()


def abandon_all(fan: FanOut, runs: dict[str, ProjectRun]) -> list[Job]:
    """The refresh's deadline has passed: every fetch not landed is given up for this refresh, those
    in flight or queued and those waiting for the families they use."""
    jobs = fan.abandon()
    for run in runs.values():
        jobs += [(run.project_id, family) for family, _ in run.waiting]
        run.waiting = []
    return jobs
