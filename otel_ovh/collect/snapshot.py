"""The data served: one immutable snapshot, swapped whole, and the rules that merge a refresh into it.

A Prometheus scrape runs every observable callback in the request thread, and every reader runs them
again; OVH calls take hundreds of milliseconds each. So callbacks read whatever snapshot is current, and
only the refresher (``collect.refresher``) makes new ones, through the merge rules below: a family that
failed keeps its last good record (flagged, and ageing) until ``collect.max_staleness``; families that
are off or too old are dropped; the region settings and the account's currency apply to every record.
Nothing here calls OVH, so the rules are tested on plain values.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from otel_ovh.families import enabled
from otel_ovh.families.base import HOURLY, Family, Regions
from otel_ovh.settings.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


class ProjectData:
    """The last good record of each family for one project, read through the family that parsed it."""

    __slots__ = ("_records",)

    def __init__(self, records: Mapping[str, tuple[Family[Any], object]] | None = None) -> None:
        self._records: Mapping[str, tuple[Family[Any], object]] = records or {}

    def get(self, family: Family[T]) -> T | None:
        entry = self._records.get(family.name)
        return None if entry is None else cast(T, entry[1])

    def with_record(self, family: Family[T], record: T) -> ProjectData:
        return ProjectData({**self._records, family.name: (family, record)})

    def over(self, older: ProjectData) -> ProjectData:
        """These records, and ``older``'s for the families these lack."""
        return ProjectData({**older._records, **self._records})

    def without(self, names: set[str]) -> ProjectData:
        return ProjectData({k: v for k, v in self._records.items() if k not in names})

    def items(self) -> Iterator[tuple[Family[Any], object]]:
        return iter(self._records.values())

    def __repr__(self) -> str:
        return f"ProjectData({sorted(self._records)})"


@dataclass(frozen=True)
class ProjectState:
    project_id: str
    name: str
    labels: Mapping[str, str]
    data: ProjectData
    fetched_at: Mapping[str, float]  # family name -> when its record now served was fetched
    success: bool  # the last refresh fetched every enabled family
    duration: float | None  # seconds the last refresh of this project took
    errors: tuple[str, ...] = ()
    # family name -> the age at which its record is due to be fetched again (its cadence, or later when
    # OVH's answer says nothing new can come before): an age beyond it is a refresh that failed
    due_after: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    version: int
    projects: Mapping[str, ProjectState]
    account: ProjectData = field(default_factory=ProjectData)  # the account-wide families' records
    # account-wide family name -> why its last fetch failed (absent: it succeeded, or was never fetched)
    account_failures: Mapping[str, str] = field(default_factory=dict)


class WithAccount:
    """A project's records of this refresh, and the account-wide ones (``Family.account``): what a
    project's family may read from ``Scope.records``."""

    __slots__ = ("_account", "_project")

    def __init__(self, project: ProjectData, account: ProjectData) -> None:
        self._project = project
        self._account = account

    def get(self, family: Family[T]) -> T | None:
        return (self._account if family.account else self._project).get(family)


class SnapshotStore:
    """Holds the current snapshot; swapping is one reference assignment, so readers never lock."""

    def __init__(self) -> None:
        self._current = Snapshot(version=0, projects={})
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Snapshot, Snapshot], None]] = []

    @property
    def current(self) -> Snapshot:
        return self._current

    def subscribe(self, listener: Callable[[Snapshot, Snapshot], None]) -> None:
        """``listener(old, new)`` runs in the refresher thread after each swap."""
        self._listeners = [*self._listeners, listener]  # a new list: ``update`` may be iterating the old

    def unsubscribe(self, listener: Callable[[Snapshot, Snapshot], None]) -> None:
        self._listeners = [known for known in self._listeners if known != listener]

    def update(self, change: Callable[[dict[str, ProjectState]], None]) -> Snapshot:
        with self._lock:
            old = self._current
            projects = dict(old.projects)
            change(projects)
            new = replace(old, version=old.version + 1, projects=projects)
            self._current = new
        for listener in self._listeners:
            try:
                listener(old, new)
            except Exception:  # a listener's bug must not stop the refresher
                log.exception("snapshot listener failed")
        return new

    def set_account(self, family: Family[T], record: T) -> None:
        """The account-wide ``family``'s new record; the projects' records stay as they are."""
        with self._lock:
            old = self._current
            account = old.account.with_record(family, record)
            failures = {name: why for name, why in old.account_failures.items() if name != family.name}
            self._current = replace(old, version=old.version + 1, account=account, account_failures=failures)

    def account_failed(self, family: Family[Any], why: str, *, drop: bool = False) -> None:
        """The account-wide ``family``'s fetch failed: its last record stays served, unless ``drop`` (the
        key may no longer read it: data that cannot be refreshed must not stay)."""
        with self._lock:
            old = self._current
            account = old.account.without({family.name}) if drop else old.account
            failures = {**old.account_failures, family.name: why}
            self._current = replace(old, version=old.version + 1, account=account, account_failures=failures)


# --------------------------------------------------------------------------------------------------
# The merge rules


@dataclass(frozen=True)
class Refreshed:
    """What one refresh of one project brought: the records of the families that answered, and why the
    others did not."""

    project_id: str
    records: ProjectData
    errors: tuple[str, ...]
    started: float
    finished: float


@dataclass(frozen=True)
class MergeRules:
    families: tuple[Family[Any], ...]
    max_staleness: float
    region_wanted: Callable[[str], bool]
    regions_kept: frozenset[str]  # named in collect.regions.include: reported even where nothing is used
    interval: float = 300.0  # collect.interval: the shortest cadence
    cadences: Mapping[str, float] = field(default_factory=dict)  # collect.cadence: overrides by family
    names: Mapping[str, str] = field(default_factory=dict)  # configured project names
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # configured project labels

    @classmethod
    def from_settings(cls, settings: Settings) -> MergeRules:
        collect = settings.collect
        return cls(
            families=enabled(collect.families),
            max_staleness=collect.max_staleness,
            interval=collect.interval,
            cadences=dict(collect.cadence),
            region_wanted=collect.region_wanted,
            regions_kept=frozenset(collect.regions.include),
            names={p.id: p.name for p in settings.projects if p.name},
            labels={p.id: dict(p.labels) for p in settings.projects},
        )

    def merge(self, previous: ProjectState | None, refreshed: Refreshed, now: float) -> ProjectState:
        """New records where a family answered, the last good ones where it failed (until too old)."""
        data = previous.data if previous else ProjectData()
        fetched_at = dict(previous.fetched_at) if previous else {}
        for family, record in refreshed.records.items():
            data = data.with_record(family, record)
            fetched_at[family.name] = now
        on = {family.name for family in self.families}
        gone = {name for name in fetched_at if name not in on} | self._expired(data, fetched_at, now)
        return self.restored(
            refreshed.project_id,
            data.without(gone),
            {name: at for name, at in fetched_at.items() if name not in gone},
            success=not refreshed.errors,
            duration=refreshed.finished - refreshed.started,
            errors=refreshed.errors,
        )

    def restored(
        self,
        pid: str,
        data: ProjectData,
        fetched_at: Mapping[str, float],
        *,
        success: bool,
        duration: float | None,
        errors: tuple[str, ...],
    ) -> ProjectState:
        """A project's state from its records and their fetch times, by this process's settings: its
        configured name and labels, the region settings, the families' cadences."""
        return ProjectState(
            project_id=pid,
            name=self.names.get(pid) or _project_name(data) or pid,
            labels=self.labels.get(pid, {}),
            data=self.apply_regions(data),
            fetched_at=dict(fetched_at),
            due_after=self._due_after(data, fetched_at),
            success=success,
            duration=duration,
            errors=errors,
        )

    def expire(self, state: ProjectState, now: float) -> ProjectState:
        """Drop records older than ``collect.max_staleness``: a series that cannot be refreshed must not
        lie."""
        old = self._expired(state.data, state.fetched_at, now)
        if not old:
            return state
        fetched_at = {name: at for name, at in state.fetched_at.items() if name not in old}
        due_after = {name: after for name, after in state.due_after.items() if name in fetched_at}
        return replace(state, data=state.data.without(old), fetched_at=fetched_at, due_after=due_after)

    # -- cadence

    def cadence(self, family: Family[Any]) -> float:
        """Seconds between fetches of ``family``: the setting's, else its own, never under the interval."""
        return max(self.interval, self.cadences.get(family.name) or family.cadence or self.interval)

    def due_at(self, family: Family[Any], record: object, fetched_at: float) -> float:
        """When a record fetched at ``fetched_at`` is worth fetching again."""
        due = fetched_at + self.cadence(family)
        hint = family.nothing_new_before
        if hint is not None and family.name not in self.cadences and record is not None:
            # an hour at most: OVH's clock ahead of ours, or a date gone wrong, must not stop the family
            due = max(due, min(hint(record) or due, fetched_at + HOURLY))
        return due

    def due(self, state: ProjectState | None, family: Family[Any], now: float) -> bool:
        """Whether the refresh started at ``now`` fetches ``family``: a family at the interval's cadence
        at every refresh, however soon it follows the last, unless OVH said nothing new can have come.

        Half an interval early counts: refreshes start an interval apart, give or take how long each
        took, and an hourly family fetched a few seconds late must not wait one interval more.
        """
        at = state.fetched_at.get(family.name) if state else None
        if state is None or at is None:
            return True
        if self.cadence(family) <= self.interval and not self._hinted(family):
            return True
        return now + self.interval / 2 >= self.due_at(family, state.data.get(family), at)

    def _hinted(self, family: Family[Any]) -> bool:
        """Whether OVH's word on its next answer counts: not when the setting gives the cadence."""
        return family.nothing_new_before is not None and family.name not in self.cadences

    def expires_at(self, family: Family[Any], record: object, fetched_at: float) -> float:
        """``collect.max_staleness`` counts from the refresh that should have replaced the record."""
        return self.due_at(family, record, fetched_at) - self.interval + self.max_staleness

    def _due_after(self, data: ProjectData, fetched_at: Mapping[str, float]) -> dict[str, float]:
        return {
            family.name: self.due_at(family, data.get(family), fetched_at[family.name])
            - fetched_at[family.name]
            for family in self.families
            if family.name in fetched_at
        }

    def _expired(self, data: ProjectData, fetched_at: Mapping[str, float], now: float) -> set[str]:
        """The records too old to serve, and those worked out from them: a family that makes no call
        (``routes`` empty) is derived afresh from the records it ``uses``, and must not outlive them."""
        by_name = {family.name: family for family in self.families}
        old = {
            name
            for name, at in fetched_at.items()
            if name in by_name and now > self.expires_at(by_name[name], data.get(by_name[name]), at)
        }
        for family in self.families:  # in order, a family after those it uses
            if not family.routes and family.name in fetched_at and old.intersection(family.uses):
                old.add(family.name)
        return old

    def apply_regions(self, data: ProjectData) -> ProjectData:
        """Excluded regions go from every record; then families may keep only the regions in use."""
        first = Regions(self.region_wanted)
        narrowed = [(family, family.narrow(record, first)) for family, record in data.items()]
        used = set(self.regions_kept)
        for family, record in narrowed:
            used.update(family.regions_in_use(record))
        second = Regions(self.region_wanted, frozenset(used))
        result = ProjectData()
        for family, record in narrowed:
            result = result.with_record(family, family.narrow(record, second))
        return result


def _project_name(data: ProjectData) -> str | None:
    return next((name for family, record in data.items() if (name := family.project_name(record))), None)


def fill_account_currency(projects: dict[str, ProjectState]) -> None:
    """Give the account's currency to records whose answers do not say it.

    Older usage answers carry prices as bare numbers, without the ``order.Price`` objects that name the
    currency. All projects of one account are billed in the same currency, so another project's answer
    tells it; without this, the same money would carry two ``ovh_currency`` values.
    """
    known = [
        currency
        for state in projects.values()
        for family, record in state.data.items()
        if family.currency is not None and (currency := family.currency(record))
    ]
    if not known:
        return
    account = max(set(known), key=known.count)
    for pid, state in projects.items():
        data, changed = state.data, False
        for family, record in state.data.items():
            if family.currency is None or family.with_currency is None or family.currency(record):
                continue
            data = data.with_record(family, family.with_currency(record, account))
            changed = True
        if changed:
            projects[pid] = replace(state, data=data)
