"""The latest data, as one immutable snapshot, and the background refresher that replaces it.

A Prometheus scrape runs every observable callback in the request thread, and every reader runs them
again; OVH calls take hundreds of milliseconds each. So OVH is called here only, by one refresher
thread, and callbacks read whatever snapshot is current. A scrape never waits for OVH, and a project
that fails keeps its last good data (flagged and ageing) until ``collect.max_staleness``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from otel_ovh.config import CollectSettings, Settings
from otel_ovh.ovh_api.client import ApiError, OvhApi
from otel_ovh.ovh_api.families import FAMILIES, PROJECTS, ProjectData
from otel_ovh.ovh_api.fields import Problems
from otel_ovh.ovh_api.parsing import parse_project_ids

log = logging.getLogger(__name__)

STRAGGLER_BATCH = 5.0  # seconds between publishes of projects that outlast collect.timeout


@dataclass(frozen=True)
class ProjectState:
    project_id: str
    name: str
    labels: Mapping[str, str]
    data: ProjectData
    fetched_at: Mapping[str, float]  # family -> when its data now served was fetched
    success: bool  # the last refresh fetched every enabled family
    duration: float | None  # seconds the last refresh of this project took
    errors: tuple[str, ...] = ()

    def data_age(self, now: float) -> float | None:
        return now - min(self.fetched_at.values()) if self.fetched_at else None


@dataclass(frozen=True)
class Snapshot:
    version: int
    projects: Mapping[str, ProjectState]
    created_at: float
    # Derived per-snapshot values (the catalog's observations) computed once and shared by all readers.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    memo_lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def remember(self, key: str, compute: Callable[[], Any]) -> Any:
        with self.memo_lock:
            if key not in self.memo:
                self.memo[key] = compute()
            return self.memo[key]


class SnapshotStore:
    """Holds the current snapshot; swapping is one reference assignment, so readers never lock."""

    def __init__(self) -> None:
        self._current = Snapshot(version=0, projects={}, created_at=time.time())
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Snapshot, Snapshot], None]] = []

    @property
    def current(self) -> Snapshot:
        return self._current

    def subscribe(self, listener: Callable[[Snapshot, Snapshot], None]) -> None:
        """``listener(old, new)`` runs in the refresher thread after each swap."""
        self._listeners.append(listener)

    def update(self, change: Callable[[dict[str, ProjectState]], None]) -> Snapshot:
        with self._lock:
            old = self._current
            projects = dict(old.projects)
            change(projects)
            new = Snapshot(version=old.version + 1, projects=projects, created_at=time.time())
            self._current = new
        for listener in self._listeners:
            try:
                listener(old, new)
            except Exception:  # a listener's bug must not stop the refresher
                log.exception("snapshot listener failed")
        return new


def background_priority() -> None:
    """Lower this thread's CPU priority (Linux applies ``nice`` per thread).

    Refreshing is CPU work (decoding OVH's answers, rendering tens of thousands of series) that nobody
    waits for, while a scrape has a deadline. On a small machine both compete for the same cores; a
    niced refresher lets the scheduler run a scrape thread first. Best effort: elsewhere it does nothing.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def in_shard(project_id: str, shard: tuple[int, int] | None) -> bool:
    """Stable across processes and restarts (unlike ``hash()``), so n replicas split projects exactly."""
    if shard is None:
        return True
    index, count = shard
    digest = hashlib.sha256(project_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count == index


def apply_region_policy(data: ProjectData, collect: CollectSettings) -> ProjectData:
    """Drop excluded regions, and quota series of regions where the project uses nothing.

    A project sees dozens of regions in its quotas; one it never used would otherwise add a screen of
    zeros to every dashboard. A region named in ``collect.regions.include`` is always kept.
    """

    def wanted(items: Iterable[Any] | None) -> Any:
        return None if items is None else tuple(i for i in items if collect.region_wanted(i.region))

    usage = data.usage
    if usage is not None:
        usage = replace(
            usage,
            charges=tuple(c for c in usage.charges if not c.region or collect.region_wanted(c.region)),
            consumption=tuple(
                c for c in usage.consumption if not c.region or collect.region_wanted(c.region)
            ),
            transfers=tuple(t for t in usage.transfers if not t.region or collect.region_wanted(t.region)),
        )
    data = replace(
        data,
        usage=usage,
        quotas=wanted(data.quotas),
        instances=wanted(data.instances),
        volumes=wanted(data.volumes),
        buckets=wanted(data.buckets),
    )
    if data.quotas is None:
        return data
    used: set[str] = set(collect.regions.include)
    used.update(q.region for q in data.quotas if q.usage)
    for items in (data.instances, data.volumes, data.buckets):
        used.update(item.region for item in items or ())
    if usage is not None:
        used.update(c.region for c in usage.charges if c.price)
    return replace(data, quotas=tuple(q for q in data.quotas if q.region in used))


def fill_account_currency(projects: dict[str, ProjectState]) -> None:
    """Give the account's currency to projects whose answers do not say it.

    Older usage answers carry prices as bare numbers, without the ``order.Price`` objects that name the
    currency. All projects of one account are billed in the same currency, so another project's answer
    tells it; without this, the same money would carry two ``ovh_currency`` values.
    """
    known = [
        c
        for s in projects.values()
        for c in (s.data.usage and s.data.usage.currency, s.data.forecast and s.data.forecast.currency)
        if c
    ]
    if not known:
        return
    currency = max(set(known), key=known.count)
    for pid, state in projects.items():
        usage, forecast = state.data.usage, state.data.forecast
        missing = (usage is not None and usage.currency is None) or (
            forecast is not None and forecast.currency is None
        )
        if missing:
            data = replace(
                state.data,
                usage=replace(usage, currency=usage.currency or currency) if usage else None,
                forecast=replace(forecast, currency=forecast.currency or currency) if forecast else None,
            )
            projects[pid] = replace(state, data=data)


class _OutageLog:
    """Logs a failure once when it starts and once when it ends, not on every refresh."""

    def __init__(self) -> None:
        self._failing: set[str] = set()
        self._lock = threading.Lock()

    def failed(self, key: str, message: str, level: int = logging.WARNING) -> None:
        with self._lock:
            first = key not in self._failing
            self._failing.add(key)
        log.log(level if first else logging.DEBUG, "%s", message)

    def recovered(self, key: str, message: str) -> None:
        with self._lock:
            was_failing = key in self._failing
            self._failing.discard(key)
        if was_failing:
            log.info("%s", message)


@dataclass
class _ProjectRun:
    project_id: str
    started: float
    pending: int
    results: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    finished: float | None = None


class Refresher:
    """Refreshes every project every ``collect.interval``, in parallel, into the snapshot store."""

    def __init__(
        self, settings: Settings, api: OvhApi, store: SnapshotStore, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._collect = settings.collect
        self._api = api
        self._store = store
        self._clock = clock
        self._configured = {p.id: p for p in settings.projects}
        self._pool = ThreadPoolExecutor(
            initializer=background_priority,
            max_workers=settings.collect.concurrency,
            thread_name_prefix="otel-ovh-fetch",
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._outages = _OutageLog()
        self._known_projects: list[str] = []
        self.discovery_error: ApiError | None = None  # why the last project listing failed, if it did
        self.refreshes = 0
        self.last_refresh_duration: float | None = None
        self.first_refresh_done = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="otel-ovh-refresher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        background_priority()
        while not self._stop.is_set():
            started = self._clock()
            try:
                self.refresh_once()
            except Exception:  # a bug in one refresh must not end refreshing for good
                log.exception("refresh failed unexpectedly")
            next_refresh = started + self._collect.interval
            while not self._stop.is_set():
                now = self._clock()
                wake = min(next_refresh, self._next_expiry(now))
                if now >= next_refresh:
                    break
                self._stop.wait(max(0.05, wake - now))
                self.expire_stale()

    # -- one refresh -------------------------------------------------------------------------------

    def project_ids(self) -> list[str]:
        """Configured projects, or every project the credentials can read; then this shard's share."""
        if self._configured:
            ids = list(self._configured)
        else:
            try:
                problems = Problems()
                ids = parse_project_ids(self._api.get(PROJECTS), problems)
                self._known_projects = ids
                self.discovery_error = None
                self._outages.recovered("discovery", "project discovery works again")
            except ApiError as error:
                self.discovery_error = error
                self._log_failure(
                    "discovery", f"cannot list projects ({error}); keeping the last known list", error
                )
                ids = self._known_projects
        return [pid for pid in ids if in_shard(pid, self._collect.shard)]

    def refresh_once(self) -> None:
        started = self._clock()
        ids = self.project_ids()
        families = [name for name in FAMILIES if name in self._collect.families]
        runs = {pid: _ProjectRun(pid, started, pending=len(families)) for pid in ids}
        futures: dict[Future[Any], tuple[str, str]] = {}
        for pid in ids:
            for family in families:
                futures[self._pool.submit(self._fetch, pid, family)] = (pid, family)

        # Publish what is ready at the latest after one call timeout, then stragglers as they land: a slow
        # project must not hold back fresh data of the others. Stragglers landing within STRAGGLER_BATCH of
        # a publish wait for the next one: each publish costs a render (~0.6 s of CPU at 20,000 series),
        # and with OVH slow, one per project made a refresh cost ten renders.
        gone = set(self._store.current.projects) - set(ids)
        next_publish = started + self._collect.timeout
        ready: list[str] = []
        pending = set(futures)
        while pending:
            remaining = next_publish - self._clock()
            done, pending = wait(
                pending, timeout=remaining if remaining > 0 else None, return_when=FIRST_COMPLETED
            )
            for future in done:
                pid, family = futures[future]
                run = runs[pid]
                outcome, problems = future.result()
                if isinstance(outcome, ApiError):
                    run.errors.append(f"{family}: {outcome}")
                    self._log_failure(f"{pid}/{family}", f"project {pid}: {family}: {outcome}", outcome)
                else:
                    run.results[family] = outcome
                    self._outages.recovered("credentials", "OVH accepts the credentials again")
                    self._outages.recovered(f"{pid}/{family}", f"project {pid}: {family} works again")
                if problems:
                    self._log_problems(pid, family, problems)
                run.pending -= 1
                if run.pending == 0:
                    run.finished = self._clock()
                    ready.append(pid)
            now = self._clock()
            if ready and (not pending or now >= next_publish):
                self._publish([runs[pid] for pid in ready], gone)
                ready, gone = [], set()
                next_publish = max(next_publish, now + STRAGGLER_BATCH)
        if ready or gone:
            self._publish([runs[pid] for pid in ready], gone)
        self.refreshes += 1
        self.last_refresh_duration = self._clock() - started
        failed = sorted({pid for pid, run in runs.items() if run.errors})
        log.info(
            "refresh %d: %d project(s) in %.1fs, %d OVH call(s) so far%s",
            self.refreshes,
            len(runs),
            self.last_refresh_duration,
            self._api.stats.total(),
            f", failing: {', '.join(failed)}" if failed else "",
        )
        self.first_refresh_done.set()

    def _fetch(self, pid: str, family: str) -> tuple[Any, Problems]:
        problems = Problems()
        try:
            return FAMILIES[family].fetch(self._api, pid, problems, self._collect), problems
        except ApiError as error:
            return error, problems
        except Exception as exc:  # a parser bug: this family fails, the process and the others go on
            log.exception("project %s: %s: unexpected error", pid, family)
            return ApiError(FAMILIES[family].routes[0], 0, f"internal error: {type(exc).__name__}"), problems

    def _publish(self, runs: list[_ProjectRun], gone: set[str]) -> None:
        now = self._clock()

        def change(projects: dict[str, ProjectState]) -> None:
            for pid in gone:
                projects.pop(pid, None)
            for run in runs:
                projects[run.project_id] = self._merge(projects.get(run.project_id), run, now)
            fill_account_currency(projects)

        self._store.update(change)

    def _merge(self, previous: ProjectState | None, run: _ProjectRun, now: float) -> ProjectState:
        """New data where a family succeeded, the last good data where it failed (until it is too old)."""
        data = previous.data if previous else ProjectData()
        fetched_at = dict(previous.fetched_at) if previous else {}
        for family, value in run.results.items():
            data = data.with_family(family, value)
            fetched_at[family] = now
        for family in list(fetched_at):
            if family not in self._collect.families or now - fetched_at[family] > self._collect.max_staleness:
                data = data.without_family(family)
                del fetched_at[family]
        configured = self._configured.get(run.project_id)
        name = (configured.name if configured and configured.name else None) or (
            data.info.name if data.info else run.project_id
        )
        return ProjectState(
            project_id=run.project_id,
            name=name,
            labels=dict(configured.labels) if configured else {},
            data=apply_region_policy(data, self._collect),
            fetched_at=fetched_at,
            success=not run.errors,
            duration=(run.finished or now) - run.started,
            errors=tuple(run.errors),
        )

    # -- staleness ---------------------------------------------------------------------------------

    def _next_expiry(self, now: float) -> float:
        times = [
            t + self._collect.max_staleness
            for state in self._store.current.projects.values()
            for t in state.fetched_at.values()
        ]
        return min(times, default=now + self._collect.interval)

    def expire_stale(self) -> None:
        """Drop data older than ``collect.max_staleness``: a series that cannot be refreshed must not lie."""
        now = self._clock()
        limit = self._collect.max_staleness
        stale = {
            pid
            for pid, state in self._store.current.projects.items()
            if any(now - t > limit for t in state.fetched_at.values())
        }
        if not stale:
            return

        def change(projects: dict[str, ProjectState]) -> None:
            for pid in stale:
                state = projects[pid]
                data, fetched_at = state.data, dict(state.fetched_at)
                for family, fetched in list(fetched_at.items()):
                    if now - fetched > limit:
                        data = data.without_family(family)
                        del fetched_at[family]
                projects[pid] = replace(state, data=data, fetched_at=fetched_at)
                log.warning("project %s: data older than %.0fs is no longer served", pid, limit)

        self._store.update(change)

    # -- logging -----------------------------------------------------------------------------------

    def _log_failure(self, key: str, message: str, error: ApiError) -> None:
        if error.is_credential_failure:
            # One line for the whole process: every call fails the same way until the key is fixed.
            self._outages.failed(
                "credentials",
                f"OVH refuses the credentials: {error.message} "
                f"({error.error_code or error.status}); serving the last data until fixed",
                logging.ERROR,
            )
            return
        self._outages.failed(key, message)

    def _log_problems(self, pid: str, family: str, problems: Problems) -> None:
        key = f"{pid}/{family}/problems"
        self._outages.failed(
            key,
            f"project {pid}: {family}: skipped values: "
            + "; ".join(problems.messages[:5])
            + (f" (+{len(problems.messages) - 5} more)" if len(problems.messages) > 5 else ""),
        )
