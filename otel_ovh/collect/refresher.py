"""The refresher: every ``collect.interval``, each project's families fetched in parallel, merged into
a new snapshot by the rules of ``otel_ovh.collect.snapshot``.

OVH is called here only, by one scheduling thread and a bounded pool (``collect.concurrency`` calls in
flight). A slow project must not hold back fresh data of the others, so what is ready is published after
one call timeout at the latest, and stragglers in batches as they land. A family that reads another's
record of the same refresh (``Family.uses``) starts once that one has answered, when it is on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from otel_ovh.collect.account import refresh_account
from otel_ovh.collect.accounting import HourlyCalls, summary
from otel_ovh.collect.dropped import DroppedValues
from otel_ovh.collect.fanout import FanOut, ProjectRun, abandon_all, abandoned, background_priority
from otel_ovh.collect.outages import OutageLog
from otel_ovh.collect.snapshot import (
    MergeRules,
    ProjectData,
    ProjectState,
    SnapshotStore,
    WithAccount,
    fill_account_currency,
)
from otel_ovh.collect.state import StateFile
from otel_ovh.families.base import Family, Scope
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.discovery import in_shard, readable_projects
from otel_ovh.ovh.fields import Problems
from otel_ovh.settings.config import Settings

log = logging.getLogger(__name__)

STRAGGLER_BATCH = 5.0  # seconds between publishes of projects that outlast collect.timeout
Due = tuple[Family[Any], ...]  # the families a project's run fetches
STOP_CHECK = 0.25  # seconds: how soon a refresh in progress notices stop()


class Refresher:
    """Refreshes every project every ``collect.interval``, in parallel, into the snapshot store."""

    def __init__(
        self, settings: Settings, api: OvhApi, store: SnapshotStore, clock: Callable[[], float] = time.time
    ) -> None:
        self._collect = settings.collect
        self._subsidiary = settings.catalog.subsidiary
        self._bill_months = settings.account.bill_months
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
        self._calls = HourlyCalls(self._rules.families)
        self._state = StateFile.of(settings)
        self._fetch_all = False  # the next refresh fetches every family, due or not
        self.once = False  # the only refresh there will be (``collect``): no last data to serve
        self._known_projects: list[str] = []
        # Account-wide families the key may not read: no more call until a reload builds a new refresher.
        self._denied: set[str] = set()
        self._round: dict[str, ProjectRun] = {}  # the refresh under way, if one is
        self._first: list[str] = []  # projects a reload's previous refresher had not finished
        self.discovery_error: ApiError | None = None  # why the last project listing failed, if it did
        self.refreshes = 0
        self.last_refresh_duration: float | None = None
        self.first_refresh_done = threading.Event()
        self._dropped = DroppedValues()  # this refresh's
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
        self._calls = previous._calls
        self._fetch_all = True  # new settings (credentials, regions...) are tried on every family at once
        self._first = [pid for pid, run in list(previous._round.items()) if run.finished is None]
        self.refreshes = previous.refreshes
        if previous.first_refresh_done.is_set():
            self.first_refresh_done.set()

    def warm_start(self) -> None:
        """Serve the last snapshot written (``state.path``), with its age, until a refresh replaces it:
        only the projects still configured (and this shard's), only the families still on."""
        if self._state is None:
            return
        restored = self._state.load(self._rules, set(self._configured) or None, self._clock())

        def change(projects: dict[str, ProjectState]) -> None:
            projects.update({pid: s for pid, s in restored.items() if in_shard(pid, self._collect.shard)})
            fill_account_currency(projects)

        if restored:
            self._store.update(change)

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
                self._dropped.book("project list", problems)
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
        self._dropped = DroppedValues()
        ids, first = self.project_ids(), self._first
        ids, self._first = [p for p in first if p in ids] + [p for p in ids if p not in first], []
        deadline = time.monotonic() + self._collect.refresh_timeout
        refresh_account(
            self._rules.families,
            lambda family: self._fetch("", family, ProjectData(), deadline),
            self._store,
            self._outages,
            (self._dropped.book, self._log_failure),
            self._stop.is_set,
            self._denied,
        )
        runs, due = self._runs(ids, started)
        self._round = runs
        fan = self._fan_out(runs, due, deadline)

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
                    (pid, family, *abandoned(family, self._collect.refresh_timeout))
                    for pid, family in abandon_all(fan, runs)
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

    def _finish(self, runs: dict[str, ProjectRun], started: float) -> None:
        self.refreshes += 1
        self._fetch_all = False
        self.last_refresh_duration = self._clock() - started
        failed = sorted({pid for pid, run in runs.items() if run.errors})
        hourly = self._calls.book(self._api.stats.snapshot(), self._clock())
        log.info(
            "refresh %d: %d project(s) in %.1fs, %d OVH call(s) so far%s; in the last hour: %s",
            self.refreshes,
            len(runs),
            self.last_refresh_duration,
            self._api.stats.total(),
            f", failing: {', '.join(failed)}" if failed else "",
            summary(hourly) or "none",
        )
        self._dropped.log(self.refreshes)
        self._save_state()
        self.first_refresh_done.set()

    def _save_state(self) -> None:
        if self._state is None or self.once:
            return
        try:
            self._state.save(self._store.current, self._clock())
            self._outages.recovered("state", f"the state file {self._state.path} is written again")
        except OSError as exc:
            self._outages.failed("state", f"cannot write the state file {self._state.path}: {exc}")

    def _runs(self, ids: list[str], started: float) -> tuple[dict[str, ProjectRun], dict[str, Due]]:
        """Each project's run for the families due now; a project with none due is left as served."""
        served = self._store.current.projects
        due = {pid: self._due(served.get(pid), started) for pid in ids}
        runs = {
            pid: ProjectRun(
                pid, started, len(due[pid]), previous=served[pid].data if pid in served else ProjectData()
            )
            for pid in ids
            if due[pid]
        }
        return runs, due

    def _due(self, served: ProjectState | None, now: float) -> tuple[Family[Any], ...]:
        """The families this refresh fetches for a project: those whose cadence says so. The others keep
        the record served, with the age it has."""
        per_project = tuple(family for family in self._rules.families if not family.account)
        if self._fetch_all:
            return per_project
        return tuple(family for family in per_project if self._rules.due(served, family, now))

    def _fan_out(
        self, runs: dict[str, ProjectRun], due: dict[str, tuple[Family[Any], ...]], deadline: float
    ) -> FanOut:
        """The fetches of this refresh, handed to the pool as workers free up; a family that uses others'
        records waits in its project's run until they have answered, when they are fetched too."""
        first: dict[str, list[Family[Any]]] = {}
        for pid, run in runs.items():
            families = due[pid]
            on = {family.name for family in families}
            run.waiting = [(family, used) for family in families if (used := on.intersection(family.uses))]
            first[pid] = [family for family in families if not on.intersection(family.uses)]

        def submit(pid: str, family: Family[Any]) -> Future[tuple[object, Problems]]:
            records = runs[pid].records.over(runs[pid].previous)
            return self._pool.submit(self._fetch, pid, family, records, deadline)

        return FanOut(submit, first, self._collect.concurrency)

    def _fetch(
        self, pid: str, family: Family[Any], records: ProjectData, deadline: float
    ) -> tuple[object, Problems]:
        """One family's fetch; it sees the records of this refresh so far (``Family.uses``)."""
        problems = Problems()
        try:
            with self._api.until(deadline):
                seen = WithAccount(records, self._store.current.account)
                scope = Scope(
                    pid, problems, self._collect.region_wanted, seen, self._subsidiary, self._bill_months
                )
                return family.fetch(self._api, scope), problems
        except ApiError as error:
            return error, problems
        except Exception as exc:  # a parser bug: this family fails, the process and the others go on
            log.exception("project %s: %s: unexpected error", pid, family.name)
            failure = ApiError((*family.routes, family.name)[0], 0, f"internal error: {type(exc).__name__}")
            return failure, problems

    def _record(self, run: ProjectRun, family: Family[Any], outcome: object, problems: Problems) -> bool:
        """Book one family's outcome; True when the project has all of its answers."""
        pid = run.project_id
        run.answered.add(family.name)
        if isinstance(outcome, ApiError):
            run.errors.append(f"{family.name}: {outcome}")
            self._log_failure(f"{pid}/{family.name}", f"project {pid}: {family.name}: {outcome}", outcome)
        else:
            run.records = run.records.with_record(family, outcome)
            if family.routes:  # a family that only reads others' records says nothing of OVH
                self._outages.recovered("unreachable", "OVH answers again")
                self._outages.recovered("credentials", "OVH accepts the credentials again")
            self._outages.recovered(f"{pid}/{family.name}", f"project {pid}: {family.name} works again")
        self._dropped.book(f"project {pid}: {family.name}", problems)
        run.pending -= 1
        if run.pending:
            return False
        run.finished = self._clock()
        return True

    def _publish(self, runs: list[ProjectRun], gone: set[str]) -> None:
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
        by_name = {family.name: family for family in self._rules.families}
        times = [
            self._rules.expires_at(by_name[name], state.data.get(by_name[name]), at)
            for state in self._store.current.projects.values()
            for name, at in state.fetched_at.items()
            if name in by_name
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
