"""``backfill``: the closed billing periods as OpenMetrics, so that the dashboard has history on day one.

Per closed period and series, the month-to-date counters of the families that keep history (the cost
family's ``usage/history``, the account's ``/me/consumption/usage/history``) are written at two instants: 0
at the period's start and the period's final figure at its end; the gauges a family names in
``history_gauges`` (the account's bills) once, at the period's end. An account-wide family's history is
read once, without project labels, as its live series are. Same names and labels as the live series, plus
the target labels given (``--label job=otel-ovh``), so that a backfilled series and its live continuation
are one series and ``increase()`` works across them; nothing between those two points is invented. The
text is what ``promtool tsdb create-blocks-from openmetrics`` reads (samples of a series in time order,
``# EOF``).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.metrics_core import Metric as PrometheusFamily
from prometheus_client.openmetrics.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from otel_ovh.errors import CommandError
from otel_ovh.export.catalog import prometheus_label, prometheus_metric_name
from otel_ovh.export.prometheus_internals import map_unit
from otel_ovh.families import describe_project, enabled
from otel_ovh.families.attributes import ACCOUNT, PROJECT_NAME
from otel_ovh.families.base import Family, Kind, Period, Regions, Scope
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.discovery import in_shard, readable_projects
from otel_ovh.ovh.fields import Problems
from otel_ovh.serve.app import build_api
from otel_ovh.settings.config import Settings, SettingsError

_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*=.*$")
_BEFORE_NEXT = 0.001  # seconds: a period's last sample stays before the next period's first


def target_labels(pairs: Iterable[str]) -> dict[str, str]:
    """``--label k=v`` arguments, as the labels Prometheus adds to the live series (``job``, ``instance``)."""
    labels: dict[str, str] = {}
    for pair in pairs:
        if not _LABEL.match(pair):
            raise SettingsError("--label", f"must look like name=value with a valid label name, got {pair!r}")
        name, _, value = pair.partition("=")
        labels[name] = value
    return labels


@dataclass(frozen=True)
class _Project:
    project_id: str
    attributes: dict[str, str]  # common attributes and the project's configured labels


_ACCOUNT = _Project("", {})  # an account-wide family's: no project, no project labels


@dataclass
class _Loaded:
    project: _Project
    family: Family[Any]
    period: Period[Any]
    record: Any


def backfill(
    settings: Settings, months: int, labels: Mapping[str, str], progress: Callable[[int], Any] | None = None
) -> bytes:
    """The OpenMetrics text for the last ``months`` closed periods of every project read.

    ``progress`` is told the number of periods to read, then once per period read (``None`` per step).
    """
    api = build_api(settings)
    families = [f for f in enabled(settings.collect.families) if f.history is not None]
    per_project = [f for f in families if not f.account]
    projects = _projects(settings, api) if per_project else []
    listed = [
        (p, f, period)
        for p in projects
        for f in per_project
        for period in _periods(api, settings, p, f, months)
    ]
    listed += [
        (_ACCOUNT, f, period)
        for f in families
        if f.account
        for period in _periods(api, settings, _ACCOUNT, f, months)
    ]
    advance = progress(len(listed)) if progress is not None else None
    loaded = []
    for project, family, period in listed:
        record = period.load()
        loaded.append(
            _Loaded(project, family, period, family.narrow(record, Regions(settings.collect.region_wanted)))
        )
        if advance is not None:
            advance(None)
    _fill_currency(loaded)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_History(loaded, labels, settings.telemetry.disabled_metrics))
    text: bytes = generate_latest(registry)  # type: ignore[no-untyped-call]  # untyped in prometheus_client
    return text


def _projects(settings: Settings, api: OvhApi) -> list[_Project]:
    configured = {p.id: p for p in settings.projects}
    try:
        ids = list(configured) or readable_projects(api)
    except ApiError as error:
        raise CommandError(f"cannot list projects: {error}") from None
    projects = []
    for pid in ids:
        if not in_shard(pid, settings.collect.shard):
            continue
        entry = configured.get(pid)
        name = entry.name if entry and entry.name else _ovh_name(api, pid)
        common = {ACCOUNT.key: pid, PROJECT_NAME.key: name}
        projects.append(_Project(pid, {**(dict(entry.labels) if entry else {}), **common}))
    return projects


def _ovh_name(api: OvhApi, pid: str) -> str:
    try:
        return describe_project(api, pid).name
    except ApiError:
        return pid  # as the live series are named while the project's own answer fails


def _periods(
    api: OvhApi, settings: Settings, project: _Project, family: Family[Any], months: int
) -> list[Period[Any]]:
    assert family.history is not None
    scope = Scope(
        project.project_id,
        Problems(),
        settings.collect.region_wanted,
        subsidiary=settings.catalog.subsidiary,
        bill_months=settings.account.bill_months,
    )
    try:
        return family.history(api, scope, months)
    except ApiError as error:
        whose = f"project {project.project_id}" if project.project_id else "account"
        print(f"otel-ovh: {whose}: {family.name} history: {error}", file=sys.stderr)
        return []


def _fill_currency(loaded: list[_Loaded]) -> None:
    """Older answers name no currency; one account is billed in one, which the others tell (as live)."""
    known = Counter(
        currency
        for item in loaded
        if item.family.currency and (currency := item.family.currency(item.record))
    )
    if not known:
        return
    account = known.most_common(1)[0][0]
    for item in loaded:
        family = item.family
        if family.currency and family.with_currency and not family.currency(item.record):
            item.record = family.with_currency(item.record, account)


class _History(Collector):
    """One OpenMetrics family per counter, each series' samples together and in time order."""

    def __init__(self, loaded: list[_Loaded], labels: Mapping[str, str], disabled: frozenset[str]) -> None:
        self._loaded = loaded
        self._labels = dict(labels)
        self._disabled = disabled

    def collect(self) -> Iterable[PrometheusFamily]:
        metrics = {
            (family.name, metric.name): (family, metric)
            for family in dict.fromkeys(item.family for item in self._loaded)
            for metric in family.metrics
            if metric.kind is Kind.COUNTER or metric.name in family.history_gauges
        }
        for family, metric in metrics.values():
            name = prometheus_metric_name(metric.name, metric.unit, metric.kind)
            if metric.name in self._disabled or name in self._disabled:
                continue
            counter = metric.kind is Kind.COUNTER
            exposed = PrometheusFamily(
                name.removesuffix("_total"),
                metric.description,
                "counter" if counter else "gauge",
                map_unit(metric.unit),
            )
            for labels, samples in self._series(family, metric.points, counter).items():
                for timestamp, value in samples:
                    exposed.add_sample(name, dict(labels), value, timestamp)
            yield exposed

    def _series(
        self, family: Family[Any], points: Callable[[Any], Iterable[Any]], counter: bool
    ) -> dict[tuple[tuple[str, str], ...], list[tuple[float, float]]]:
        series: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = {}
        items = sorted(
            (i for i in self._loaded if i.family is family),
            key=lambda i: (i.project.project_id, i.period.start),
        )
        for index, item in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            end = item.period.end - _BEFORE_NEXT  # the period's last instant, whichever way OVH spells it
            if following is not None and following.project is item.project:
                end = min(end, following.period.start - _BEFORE_NEXT)
            for attributes, value in points(item.record):
                merged = {**item.project.attributes, **attributes}
                shown = {prometheus_label(k): str(v) for k, v in merged.items()} | self._labels
                # An empty value is no label at all to Prometheus: leave it out, as the live scrape stores it.
                key = tuple(sorted((k, v) for k, v in shown.items() if v != ""))
                start = ((item.period.start, 0.0),) if counter else ()  # a gauge: the state it closed on
                series.setdefault(key, []).extend((*start, (end, value)))
        return series


def write_backfill(settings: Settings, months: int, labels: Mapping[str, str], out: str | None) -> int:
    """Run ``backfill`` for the command line: progress on stderr when it is a terminal, the text to
    ``out`` (replaced whole, never left half-written) or to stdout. Returns the number of samples."""
    from tqdm import tqdm

    bars: list[tqdm[Any]] = []

    def progress(total: int) -> Callable[[Any], Any]:
        bars.append(tqdm(total=total, unit="period", desc="backfill", file=sys.stderr, disable=None))
        return lambda _: bars[0].update(1)

    try:
        text = backfill(settings, months, labels, progress)
    finally:
        for bar in bars:
            bar.close()
    if out is None:
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    else:
        _replace_file(Path(out), text)
    return sum(1 for line in text.splitlines() if line and not line.startswith(b"#"))


def _replace_file(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CommandError(f"cannot write {path}: {error.strerror}") from None
