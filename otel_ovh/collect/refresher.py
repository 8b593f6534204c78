"""The refresher: every ``collect.interval``, each project's families fetched in parallel, merged into
a new snapshot by the rules of ``otel_ovh.collect.snapshot``.

OVH is called here only, by one scheduling thread and a bounded pool (``collect.concurrency`` calls in
flight). A slow project must not hold back fresh data of the others, so what is ready is published after
one call timeout at the latest, and stragglers in batches as they land. A family that reads another's
record of the same refresh (``Family.uses``) starts once that one has answered, when it is on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from otel_ovh.collect.fanout import FanOut
from otel_ovh.collect.outages import OutageLog
from otel_ovh.collect.snapshot import (
    MergeRules,
    ProjectData,
    ProjectState,
    Refreshed,
    SnapshotStore,
    fill_account_currency,
)
from otel_ovh.families.base import Family, Scope
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.discovery import in_shard, readable_projects
from otel_ovh.ovh.errors import DEADLINE
from otel_ovh.ovh.fields import Problems
from otel_ovh.ovh.turns import TURNS
from otel_ovh.settings.config import Settings

log = logging.getLogger(__name__)

STRAGGLER_BATCH = 5.0  # seconds between publishes of projects that outlast collect.timeout
STOP_CHECK = 0.25  # seconds: how soon a refresh in progress notices stop()


def background_priority() -> None:
    """Lower this thread's CPU priority (Linux applies ``nice`` per thread).

    Refreshing is CPU work (decoding OVH's answers, rendering tens of thousands of series) that nobody
    waits for, while a scrape has a deadline. On a small machine both compete for the same cores; a
    niced refresher lets the scheduler run a scrape thread first. Best effort: elsewhere it does nothing.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


@dataclass
class _ProjectRun:
    project_id: str
    started: float
    pending: int
    records: ProjectData = field(default_factory=ProjectData)
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


class Refresher:
    """Refreshes every project every ``collect.interval``, in parallel, into the snapshot store."""

    def __init__(
        self, settings: Settings, api: OvhApi, store: SnapshotStore, clock: Callable[[], float] = time.time
    ) -> None:
        self._collect = settings.collect
        self._rules = MergeRules.from_settings(settings)
        self._api = api
        self._store = store
        self._clock = clock
        self._configured = [p.id for p in settings.projects]
        self._pool = ThreadPoolExecutor(
            initializer=background_priority,
            max_workers=settings.collect.concurrency,
            thread_name_prefix="otel-ovh-fetch",
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._outages = OutageLog(log)
        self.once = False  # the only refresh there will be (``collect``): no last data to serve
        self._known_projects: list[str] = []
        self._round: dict[str, _ProjectRun] = {}  # the refresh under way, if one is
        self._first: list[str] = []  # projects a reload's previous refresher had not finished
        self.discovery_error: ApiError | None = None  # why the last project listing failed, if it did
        self.refreshes = 0
        self.last_refresh_duration: float | None = None
        self.first_refresh_done = threading.Event()
        self._dropped: dict[str, tuple[int, list[str]]] = {}  # this refresh's: kind -> (count, where)
        # Called with (projects done, projects in this refresh) as each project completes: long work can
        # show how far it is (``collect --once``); the serving loop leaves it unset.
        self.on_progress: Callable[[int, int], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Refresh in a thread of its own; ``serve`` runs :meth:`run` under the supervisor instead."""
        self._thread = threading.Thread(target=self.run, name="otel-ovh-refresher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """A refresh notices within ``STOP_CHECK``; a call to OVH in progress is not waited for."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def take_over(self, previous: Refresher) -> None:
        """Continue ``previous`` (stopped) after a reload: still ready, still knowing which projects discovery
        found (a first listing that fails drops none), its unfinished projects first (none starves)."""
        self._known_projects = list(previous._known_projects)
        self._first = [pid for pid, run in list(previous._round.items()) if run.finished is None]
        self.refreshes = previous.refreshes
        if previous.first_refresh_done.is_set():
            self.first_refresh_done.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Refresh every ``collect.interval`` until :meth:`stop`."""
        background_priority()
        while not self._stop.is_set():
            started = self._clock()
            try:
                self.refresh_once()
            except Exception:  # a bug in one refresh must not end refreshing for good
                if self._stop.is_set():  # stopped mid-refresh (a reload): its pool went first
                    log.debug("refresh ended by the stop", exc_info=True)
                    return
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
        ids = self._configured
        if not ids:
            problems = Problems()
            try:
                ids = self._known_projects = readable_projects(self._api, problems)
                self._book("project list", problems)
                self.discovery_error = None
                self._outages.recovered("unreachable", "OVH answers again")
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
        self._dropped = {}
        ids, first = self.project_ids(), self._first
        ids, self._first = [p for p in first if p in ids] + [p for p in ids if p not in first], []
        families = self._rules.families
        self._round = runs = {pid: _ProjectRun(pid, started, pending=len(families)) for pid in ids}
        deadline = time.monotonic() + self._collect.refresh_timeout
        fan = self._fan_out(runs, families, deadline)

        # Publish what is ready at the latest after one call timeout, then stragglers as they land.
        # Stragglers landing within STRAGGLER_BATCH of a publish wait for the next one: each publish costs
        # a render of every series, and with OVH slow, one per project made a refresh cost ten renders.
        gone = set(self._store.current.projects) - set(ids)
        next_publish = started + self._collect.timeout
        ready: list[str] = []
        finished = 0
        if self.on_progress is not None:
            self.on_progress(0, len(runs))
        while fan.in_flight:
            remaining = next_publish - self._clock()
            # In slices, so that stop() is seen within one, even while OVH is slow to answer.
            slice_ = min(remaining, STOP_CHECK) if remaining > 0 else STOP_CHECK
            done, _ = wait(fan.in_flight, timeout=slice_, return_when=FIRST_COMPLETED)
            if self._stop.is_set():
                return
            outcomes = [(*fan.landed(future), *future.result()) for future in done]
            if fan.in_flight and time.monotonic() >= deadline:
                outcomes += [
                    (pid, family, *self._abandoned(family)) for pid, family in self._abandon(fan, runs)
                ]
            for pid, family, outcome, problems in outcomes:
                finished_project = self._record(runs[pid], family, outcome, problems)
                fan.add(pid, runs[pid].startable())
                if finished_project:
                    ready.append(pid)
                    finished += 1
                    log.debug("project %s collected in %.1fs", pid, self._clock() - started)
                    if self.on_progress is not None:
                        self.on_progress(finished, len(runs))
            now = self._clock()
            if ready and (not fan.in_flight or now >= next_publish):
                self._publish([runs[pid] for pid in ready], gone)
                ready, gone = [], set()
                next_publish = max(next_publish, now + STRAGGLER_BATCH)
        if ready or gone:
            self._publish([runs[pid] for pid in ready], gone)
        self._finish(runs, started)

    def _finish(self, runs: dict[str, _ProjectRun], started: float) -> None:
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
        self._log_dropped()
        self.first_refresh_done.set()

    def _fan_out(
        self, runs: dict[str, _ProjectRun], families: tuple[Family[Any], ...], deadline: float
    ) -> FanOut:
        """The fetches of this refresh, handed to the pool as workers free up; a family that uses others'
        records waits in its project's run until they have answered."""
        on = {family.name for family in families}
        first: dict[str, list[Family[Any]]] = {}
        for run in runs.values():
            run.waiting = [(family, used) for family in families if (used := on.intersection(family.uses))]
            first[run.project_id] = [family for family in families if not on.intersection(family.uses)]
        return FanOut(
            lambda pid, family: self._pool.submit(self._fetch, pid, family, runs[pid].records, deadline),
            first,
            self._collect.concurrency,
        )

    def _abandon(self, fan: FanOut, runs: dict[str, _ProjectRun]) -> list[tuple[str, Family[Any]]]:
        """The refresh's deadline has passed: every fetch not landed is given up for this refresh, those
        in flight or queued and those waiting for the families they use."""
        jobs = fan.abandon()
        for run in runs.values():
            jobs += [(run.project_id, family) for family, _ in run.waiting]
            run.waiting = []
        return jobs

    def _abandoned(self, family: Family[Any]) -> tuple[ApiError, Problems]:
        """The outcome of a fetch still unanswered at the refresh's deadline.

        Its calls in flight end at the same deadline (``OvhApi.until``), so the pool is free for the next
        refresh; what has not started never will.
        """
        seconds = self._collect.refresh_timeout
        message = f"abandoned: no answer within the refresh's deadline (collect.refresh_timeout {seconds:g}s)"
        return ApiError(family.routes[0], 0, message, reason=DEADLINE), Problems()

    def _fetch(
        self, pid: str, family: Family[Any], records: ProjectData, deadline: float
    ) -> tuple[object, Problems]:
        """One family's fetch; it sees the records of this refresh so far (``Family.uses``). Its Python
        runs in turn with the other workers' (``otel_ovh.ovh.turns``)."""
        problems = Problems()
        try:
            with TURNS.turn(), self._api.until(deadline):
                scope = Scope(pid, problems, self._collect.region_wanted, records)
                return family.fetch(self._api, scope), problems
        except ApiError as error:
            return error, problems
        except Exception as exc:  # a parser bug: this family fails, the process and the others go on
            log.exception("project %s: %s: unexpected error", pid, family.name)
            return ApiError(family.routes[0], 0, f"internal error: {type(exc).__name__}"), problems

    def _record(self, run: _ProjectRun, family: Family[Any], outcome: object, problems: Problems) -> bool:
        """Book one family's outcome; True when the project has all of its answers."""
        pid = run.project_id
        run.answered.add(family.name)
        if isinstance(outcome, ApiError):
            run.errors.append(f"{family.name}: {outcome}")
            self._log_failure(f"{pid}/{family.name}", f"project {pid}: {family.name}: {outcome}", outcome)
        else:
            run.records = run.records.with_record(family, outcome)
            self._outages.recovered("unreachable", "OVH answers again")
            self._outages.recovered("credentials", "OVH accepts the credentials again")
            self._outages.recovered(f"{pid}/{family.name}", f"project {pid}: {family.name} works again")
        self._book(f"project {pid}: {family.name}", problems)
        run.pending -= 1
        if run.pending:
            return False
        run.finished = self._clock()
        return True

    def _publish(self, runs: list[_ProjectRun], gone: set[str]) -> None:
        now = self._clock()

        def change(projects: dict[str, ProjectState]) -> None:
            if self._stop.is_set():
                return  # stopped for a reload: the refresher that replaces this one publishes from now on
            for pid in gone:
                projects.pop(pid, None)
            for run in runs:
                projects[run.project_id] = self._rules.merge(
                    projects.get(run.project_id), run.result(now), now
                )
            fill_account_currency(projects)

        self._store.update(change)

    # -- staleness ---------------------------------------------------------------------------------

    def _next_expiry(self, now: float) -> float:
        times = [
            t + self._rules.max_staleness
            for state in self._store.current.projects.values()
            for t in state.fetched_at.values()
        ]
        return min(times, default=now + self._collect.interval)

    def expire_stale(self) -> None:
        """Publish a snapshot without the records that have grown older than ``collect.max_staleness``."""
        now = self._clock()
        current = self._store.current.projects
        stale = {pid for pid, state in current.items() if self._rules.expire(state, now) is not state}
        if not stale:
            return

        def change(projects: dict[str, ProjectState]) -> None:
            if self._stop.is_set():
                return
            for pid in stale:
                projects[pid] = self._rules.expire(projects[pid], now)
                log.warning(
                    "project %s: data older than %.0fs is no longer served", pid, self._rules.max_staleness
                )

        self._store.update(change)

    # -- logging -----------------------------------------------------------------------------------

    def _log_failure(self, key: str, message: str, error: ApiError) -> None:
        """No call reaches OVH, or every call fails alike until the key is fixed: one line for the process.
        Serving keeps the last data; a single refresh (``once``) says it in the command's own error."""
        level = logging.DEBUG if self.once else logging.ERROR
        if error.unreachable:
            until = "" if self.once else "; serving the last data until it answers"
            said = f"OVH is unreachable: {error.why_unreachable} ({error}){until}"
            self._outages.failed("unreachable", said, level)
        elif error.is_credential_failure:
            until = "" if self.once else "; serving the last data until fixed"
            said = f"OVH refuses the credentials: {error.message} ({error.error_code or error.status}){until}"
            self._outages.failed("credentials", said, level)
        else:
            self._outages.failed(key, message)

    def _book(self, source: str, problems: Problems) -> None:
        """Count this refresh's unreadable values by kind, keeping the first few for the log line."""
        for kind, count in problems.kinds.items():
            total, where = self._dropped.get(kind, (0, []))
            where += [f"{source}: {message}" for message in problems.examples[kind][: 3 - len(where)]]
            self._dropped[kind] = (total + count, where)

    def _log_dropped(self) -> None:
        """One warning per kind of unreadable value and refresh, however many values and projects: each
        value is dropped alone, and a line per value would bury the rest of the log."""
        for kind, (count, where) in sorted(self._dropped.items()):
            more = f" (+{count - len(where)} more)" if count > len(where) else ""
            log.warning(
                "refresh %d: %d value(s) dropped, %s: %s%s",
                self.refreshes,
                count,
                kind,
                "; ".join(where),
                more,
            )
        self._dropped = {}
