"""What a family is: the calls it makes, the record it parses them into, the metrics and table cells it
reads from that record, and how the region settings and the account's currency apply to it.

Everything the rest of the program does with OVH data goes through these hooks, so the refresher, the
merge rules, the catalog, the docs and the CLI iterate the registry and never name a family: adding one
is a module that builds a :class:`Family`, and a line in the registry.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar
from urllib.parse import quote

from otel_ovh.families.attributes import Attribute
from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import Problems

T = TypeVar("T")

PROJECT = "/cloud/project/{serviceName}"  # every family's routes hang below this one

# A family's cadence: how often its answers can change enough to be worth a call. ``EVERY_REFRESH``
# follows ``collect.interval``; ``collect.cadence`` overrides any of them.
EVERY_REFRESH = None
HOURLY = 3600.0
DAILY = 86400.0

Attributes = dict[str, str | int]
Point = tuple[Attributes, float]


class Kind(enum.Enum):
    COUNTER = "counter"  # month-to-date totals: restart with the billing period (a counter reset)
    GAUGE = "gauge"


@dataclass(frozen=True, kw_only=True)
class Metric(Generic[T]):
    """One metric as its family declares it: the contract (name, kind, unit, labels) and how to read
    its points from the family's record. The OpenTelemetry name is the declaration; the Prometheus name
    follows by the exporter's rules (see ``otel_ovh.export.catalog``). Declared by keyword: eight fields
    in a row read as a riddle."""

    name: str
    kind: Kind
    unit: str
    description: str
    attributes: tuple[Attribute, ...]  # the keys its points carry (``families.attributes``)
    source: str
    points: Callable[[T], Iterable[Point]]
    # The unit of one point, where it differs from the instrument's: one instrument may carry counts and
    # sizes (a quota of instances, a quota of bytes), and ``collect --format json`` shows each its own.
    point_unit: Callable[[Mapping[str, object]], str] | None = None


class Records(Protocol):
    """A project's records, each read through the family that parsed it (``snapshot.ProjectData``)."""

    def get(self, family: Family[T]) -> T | None: ...


class _NoRecords:
    def get(self, family: Family[T]) -> T | None:
        return None


NO_RECORDS: Records = _NoRecords()  # stateless, so one is shared


@dataclass(frozen=True)
class Scope:
    """What one fetch may know: the project, the region filter, where to report unreadable values, and
    the records already fetched in this refresh of the project (those of the families in ``uses``, when
    they are on and answered)."""

    project_id: str  # "" for an account-wide family (``Family.account``)
    problems: Problems
    region_wanted: Callable[[str], bool]
    records: Records = NO_RECORDS
    subsidiary: str = "FR"  # the OVH subsidiary whose public offer applies (``catalog.subsidiary``)
    bill_months: int = 13  # how many months of bills the account family reads (``account.bill_months``)

    def params(self, **extra: str) -> dict[str, str]:
        """Path parameters for a route below ``PROJECT``, each one path segment whatever an answer put in
        it: an id of ``../../me`` listed by OVH must cost that id's call, not make it another route."""
        return {key: _segment(value) for key, value in {"serviceName": self.project_id, **extra}.items()}


def _segment(value: str) -> str:
    # requests turns %2E back into a dot (it is unreserved), so a segment of dots is escaped twice
    return "%252E" * len(value) if set(value) <= {"."} else quote(value, safe="")


@dataclass(frozen=True)
class Regions:
    """The region settings as a family applies them to its record.

    ``used`` is None on the first pass (only ``wanted`` applies), then the regions where any family's
    record shows something in use: a family may keep only those (quotas list every region a project may
    use, and one never used would add a screen of zeros to every dashboard).
    """

    wanted: Callable[[str], bool]
    used: frozenset[str] | None = None


@dataclass(frozen=True)
class Column(Generic[T]):
    """A cell of ``collect --format table``: a project's value, from its record (None when absent)."""

    header: str
    cell: Callable[[T | None], str]
    align: str = ">"  # numbers to the right, words to the left
    # The total row's cell, from every project's record; None: the column has no meaningful total.
    total: Callable[[Sequence[T | None]], str] | None = None

    def of(self, family: Family[T]) -> ProjectColumn:
        """This cell as the table reads every cell: from all of a project's records."""
        total = self.total
        return ProjectColumn(
            self.header,
            (family.name,),
            lambda records: self.cell(records.get(family)),
            self.align,
            None if total is None else lambda projects: total([r.get(family) for r in projects]),
        )


@dataclass(frozen=True)
class ProjectColumn:
    """A cell of ``collect --format table`` read from all of a project's records: a family's own
    (``Column.of``), or one derived from several families' records (``families.derived``), which no
    single family can compute. Shown only when every family it reads is enabled."""

    header: str
    reads: tuple[str, ...]  # the names of the families whose records it reads
    cell: Callable[[Records], str]
    align: str = ">"
    total: Callable[[Sequence[Records]], str] | None = None


@dataclass(frozen=True)
class Section:
    """An account-wide family's own part of ``collect --format table``, after the projects' table: a title,
    a table (header and rows of cells; numbers right-aligned by ``align``) and closing lines."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()  # per column, "<" or ">"; words to the left when not given
    notes: tuple[str, ...] = ()


def money(amounts: Iterable[tuple[float, str | None]]) -> str:
    """A sum of amounts per currency, as a table shows it ("1,234.50 EUR"; "-" when there is none)."""
    sums: dict[str, float] = {}
    for amount, currency in amounts:
        sums[currency or ""] = sums.get(currency or "", 0.0) + amount
    return " + ".join(f"{value:,.2f} {currency}".rstrip() for currency, value in sorted(sums.items())) or "-"


@dataclass(frozen=True)
class Period(Generic[T]):
    """A closed billing period (epoch seconds; ``end`` as OVH gives it) and how to read the family's
    record of it: listing comes first, so that long work can say how much of it is left."""

    start: float
    end: float
    load: Callable[[], T]


def _keep(record: T, _: Regions) -> T:
    return record


def _nowhere(_: T) -> Iterable[str]:
    return ()


def _no_text(_: T) -> str | None:
    return None


@dataclass(frozen=True)
class Family(Generic[T]):
    """One group of OVH calls and the metrics they feed; switchable in ``collect.families``.

    ``routes`` lists every call the family may make, in order; a route with ``{regionName}`` is made once
    per region, one with another parameter once per item listed. ``fetch`` raises
    ``otel_ovh.ovh.client.ApiError`` when a call fails (the family's last good record is then kept);
    values it cannot read go to ``scope.problems`` and are dropped alone.
    """

    name: str
    routes: tuple[str, ...]
    fetch: Callable[[OvhApi, Scope], T]
    metrics: tuple[Metric[T], ...]
    columns: tuple[Column[T], ...] = ()
    narrow: Callable[[T, Regions], T] = _keep  # the record with only the regions the settings keep
    regions_in_use: Callable[[T], Iterable[str]] = _nowhere
    # Money: the currency the record names (None when its answer did not say), and the record told the
    # account's currency; None for families that carry no amounts.
    currency: Callable[[T], str | None] | None = None
    with_currency: Callable[[T, str], T] | None = None
    # Closed billing periods, for ``backfill``: ``history(api, scope, months)`` lists the last ``months``
    # closed periods, oldest first, whose records feed the family's counters as the live ones do.
    history: Callable[[OvhApi, Scope, int], list[Period[T]]] | None = None
    history_routes: tuple[str, ...] = ()
    # The gauges ``backfill`` writes too (it writes every counter), once per closed period, at its end: the
    # state the period closed on (an account's bills of that month).
    history_gauges: tuple[str, ...] = ()
    project_name: Callable[[T], str | None] = _no_text  # OVH's name for the project, if the record has it
    # Families whose record of the same refresh ``fetch`` reads from ``scope.records`` rather than asking
    # OVH again: when they are on, the refresher starts this family once they have answered.
    uses: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # closing lines of docs/metrics.md (the values a label takes)
    # Account-wide (the price list, the account's bills), not per project: fetched once per refresh
    # before the projects, with ``scope.project_id`` empty; its record is in every project's
    # ``scope.records`` (so per-project families may ``use`` it) and its metrics carry no project labels.
    account: bool = False
    # Those of ``routes`` OVH serves without authentication (the public price list): sent unsigned, they
    # need no consumer-key rule (``otel-ovh login``) nor IAM action; docs/security.md lists them as public.
    public_routes: tuple[str, ...] = ()
    # Seconds between fetches (``HOURLY``...), or ``EVERY_REFRESH``: answers that change slowly are not
    # worth a call per refresh, and the record kept meanwhile keeps its true age.
    cadence: float | None = EVERY_REFRESH
    # An account-wide family's section of ``collect --format table``, from its record
    section: Callable[[T], Section] | None = None
    # When OVH's answer says it changes on a schedule of its own: from the last record, the time before
    # which asking again can bring nothing new (None: no such time).
    nothing_new_before: Callable[[T], float | None] | None = None
