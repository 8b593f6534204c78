"""OpenTelemetry wiring: resource, meter providers, one instrument per catalog entry, and the readers.

Two meter providers, on purpose:

* the *inventory* provider carries OVH's data (tens of thousands of series). Its points change only when
  the refresher publishes a new snapshot, so its Prometheus exposition is rendered once per snapshot and
  served from memory; a scrape of unchanged data costs a memory copy, not a 200 ms render;
* the *self* provider carries the exporter's own health (data age, collection success, OVH calls,
  process metrics), which must be current at every scrape and is small.

Both feed the same readers (Prometheus and/or OTLP) with the same resource. The inventory provider is
rebuilt when many series have gone away: the SDK never forgets an attribute set an observable instrument
has reported, so without it a month of instance churn would grow memory and end in
``otel_metric_overflow``.
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.context import Context
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import (
    Exemplar,
    ExemplarReservoir,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
)
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest

from otel_ovh import __version__
from otel_ovh.catalog import CATALOG, COMMON_ATTRIBUTES, SELF_FAMILY, Kind, MetricDefinition
from otel_ovh.config import Settings
from otel_ovh.otlp.delta import DeltaState
from otel_ovh.otlp.exporter import build_otlp_exporter
from otel_ovh.ovh_api.client import CallStats
from otel_ovh.snapshot import ProjectState, Snapshot, SnapshotStore

log = logging.getLogger(__name__)

SCOPE = "otel_ovh"

# Process metrics from the OpenTelemetry system-metrics instrumentation (semantic-convention names).
PROCESS_METRICS = {
    "process.cpu.time": ["user", "system"],
    "process.memory.usage": None,
    "process.memory.virtual": None,
    "process.open_file_descriptor.count": None,
    "process.thread.count": None,
    "cpython.gc.collections": None,
}
# Semantic-convention names ending in ".count" become "_count" series, which Prometheus reserves for
# histograms and summaries (promtool flags them); these views give them the names Prometheus expects.
PROCESS_RENAMES = {
    "process.open_file_descriptor.count": "process.open_file_descriptors",
    "process.thread.count": "process.threads",
}


def build_resource(settings: Settings) -> Resource:
    """What produced the data: the attributes ``load_settings`` resolved (see ``otel_ovh.resource``)."""
    return Resource(dict(settings.resource_attributes))


def enabled_metrics(settings: Settings) -> list[MetricDefinition]:
    disabled = settings.telemetry.disabled_metrics
    return [
        m
        for m in CATALOG
        if (m.family == SELF_FAMILY or m.family in settings.collect.families)
        and m.name not in disabled
        and m.prometheus_name not in disabled
    ]


def project_attributes(project: ProjectState) -> dict[str, str | int]:
    attributes: dict[str, str | int] = dict(project.labels)
    attributes[COMMON_ATTRIBUTES[0]] = project.project_id
    attributes[COMMON_ATTRIBUTES[1]] = project.name
    return attributes


def observations(metric: MetricDefinition, snapshot: Snapshot, now: float) -> list[Observation]:
    assert metric.project_points is not None
    result: list[Observation] = []
    for project in snapshot.projects.values():
        common = project_attributes(project)
        for attributes, value in metric.project_points(project, now):
            result.append(Observation(value, {**common, **attributes}))
    return result


class _NoExemplars(ExemplarReservoir):
    """Observable callbacks run without a trace context, so their points never carry exemplars; the SDK's
    default reservoir still costs a lock and a dict per attribute set (~5 MB at 20,000 series). This one is
    stateless, so all attribute sets share it."""

    def offer(self, value: float, time_unix_nano: int, attributes: Any, context: Context) -> None:
        return None

    def collect(self, point_attributes: Any) -> list[Exemplar]:
        return []


_NO_EXEMPLARS = _NoExemplars()
NO_EXEMPLARS_VIEW = View(instrument_name="*", exemplar_reservoir_factory=lambda _: lambda **__: _NO_EXEMPLARS)


@dataclass(frozen=True)
class _Exposition:
    """The OVH series as served. Kept compressed only: Prometheus asks for gzip, and 5 MB of text held
    beside a render's transient peak is what pushed the process over its memory budget."""

    version: int  # of the snapshot it shows
    generation: int  # of the inventory pipeline that rendered it
    gzipped: bytes

    @property
    def text(self) -> bytes:
        """For clients that do not take gzip, ``/probe`` and ``collect --format prometheus``."""
        return gzip.decompress(self.gzipped)


@dataclass
class _Readers:
    prometheus: PrometheusMetricReader | None
    registry: CollectorRegistry | None
    others: list[MetricReader] = field(default_factory=list)

    def all(self) -> list[MetricReader]:
        return ([self.prometheus] if self.prometheus else []) + self.others


class _Pipeline:
    """One meter provider with its readers and instruments; replaced as a whole, never edited."""

    def __init__(
        self,
        settings: Settings,
        resource: Resource,
        metrics: Sequence[MetricDefinition],
        callback_for: Callable[[MetricDefinition], Callable[[CallbackOptions], Iterable[Observation]]],
        *,
        target_info: bool,
        name: str,
        views: Sequence[View] = (),
        otlp_delta: DeltaState | None = None,
    ) -> None:
        limit = settings.telemetry.cardinality_limit
        limits: dict[type, int] = {ObservableCounter: limit, ObservableGauge: limit}
        registry: CollectorRegistry | None = None
        prometheus: PrometheusMetricReader | None = None
        if settings.prometheus.enabled:
            registry = CollectorRegistry(auto_describe=False)
            prometheus = PrometheusMetricReader(
                disable_target_info=not target_info,
                scope_info_enabled=False,
                registry=registry,
                cardinality_limits=limits,
            )
        others: list[MetricReader] = []
        otlp = settings.otlp_resolved  # resolved at load, when otlp.enabled
        if otlp is not None:
            others.append(
                PeriodicExportingMetricReader(
                    build_otlp_exporter(otlp, name=name, delta=otlp_delta),
                    export_interval_millis=otlp.interval * 1000,
                    # the exporter's own timeout covers its retries; the reader's must not cut them short
                    export_timeout_millis=otlp.timeout * 1000 + 1000,
                    cardinality_limits=limits,
                )
            )
        self.readers = _Readers(prometheus, registry, others)
        self.provider = MeterProvider(resource=resource, metric_readers=self.readers.all(), views=list(views))
        meter = self.provider.get_meter(SCOPE, __version__)
        for metric in metrics:
            create = (
                meter.create_observable_counter
                if metric.kind is Kind.COUNTER
                else meter.create_observable_gauge
            )
            create(
                metric.name,
                callbacks=[callback_for(metric)],
                unit=metric.unit,
                description=metric.description,
            )

    def shutdown(self) -> None:
        try:
            self.provider.shutdown(timeout_millis=5000)
        except Exception:  # shutting down an exporter whose collector is gone must not fail the caller
            log.debug("meter provider shutdown failed", exc_info=True)


class Telemetry:
    """Owns the pipelines and renders the Prometheus exposition."""

    def __init__(
        self,
        settings: Settings,
        store: SnapshotStore,
        stats: CallStats,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._store = store
        self._stats = stats
        self._clock = clock
        self.resource = build_resource(settings)
        metrics = enabled_metrics(settings)
        self._inventory_metrics = [m for m in metrics if m.family != SELF_FAMILY]
        self._self_metrics = [m for m in metrics if m.family == SELF_FAMILY]
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self.generation = 0
        self.rebuilds = 0
        # Delta temporality state per pipeline, outliving inventory rebuilds (see otel_ovh.otlp.DeltaState).
        self._otlp_delta = {"inventory": DeltaState(), "self": DeltaState()}
        self._inventory = self._build_inventory()
        renames = [View(instrument_name=old, name=new) for old, new in PROCESS_RENAMES.items()]
        self._self = _Pipeline(
            settings,
            self.resource,
            self._self_metrics,
            self._self_callback,
            target_info=False,
            name="self",
            views=renames,
            otlp_delta=self._otlp_delta["self"],
        )
        self._instrument_process(self._self.provider)
        self._cache: _Exposition | None = None
        self._self_cache: tuple[bytes, bytes] | None = None  # (text, gzip), when rendered in the background
        self._stopping = threading.Event()
        # Per metric, the hashes of its live attribute sets: only counted, so a hash will do (the frozensets
        # themselves held ~20 MB at 20,000 series; a rare collision only miscounts a rebuild heuristic).
        self._live_keys: dict[str, set[int]] = {}
        self._retired = 0
        store.subscribe(self._on_snapshot)

    # -- pipelines ---------------------------------------------------------------------------------

    def _build_inventory(self) -> _Pipeline:
        return _Pipeline(
            self._settings,
            self.resource,
            self._inventory_metrics,
            self._inventory_callback,
            target_info=True,
            name="inventory",
            views=[NO_EXEMPLARS_VIEW],
            otlp_delta=self._otlp_delta["inventory"],
        )

    def _inventory_callback(
        self, metric: MetricDefinition
    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(_: CallbackOptions) -> Iterable[Observation]:
            snapshot = self._store.current
            points: list[Observation] = snapshot.remember(
                metric.name, lambda: observations(metric, snapshot, self._clock())
            )
            return points

        return callback

    def _self_callback(self, metric: MetricDefinition) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(_: CallbackOptions) -> Iterable[Observation]:
            if metric.exporter_points is not None:
                return [Observation(value, attrs) for attrs, value in metric.exporter_points(self._stats)]
            return observations(metric, self._store.current, self._clock())

        return callback

    @staticmethod
    def _instrument_process(provider: MeterProvider) -> None:
        from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor

        # The instrumentor is a process-wide singleton; instrumenting a second provider needs it reset.
        instrumentor = SystemMetricsInstrumentor(config=PROCESS_METRICS)
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        instrumentor.instrument(meter_provider=provider)

    # -- churn -------------------------------------------------------------------------------------

    def _on_snapshot(self, old: Snapshot, new: Snapshot) -> None:
        """Count series that went away; rebuild the inventory pipeline when they outnumber the live ones.

        The exposition is rendered first: until it is, scrapes answer with the previous one (see
        ``render_inventory``), and the observations it computes are the ones counted below (snapshot memo).
        Memory: the old snapshot's points are dropped before the new ones are made, and with no OTLP reader
        to collect them again the new ones too once rendered and counted (~9 MB at 20,000 series each;
        recomputing them, should a collection ask, takes ~20 ms).
        """
        with old.memo_lock:
            old.memo.clear()
        if self._settings.prometheus.enabled:
            self.render_inventory()  # warm the cache so that the next scrape is cheap
        now = self._clock()
        live_total = 0
        retired = 0
        for metric in self._inventory_metrics:
            points = new.remember(metric.name, lambda m=metric: observations(m, new, now))  # type: ignore[misc]
            keys = {hash(frozenset(p.attributes.items())) for p in points if p.attributes}
            previous = self._live_keys.get(metric.name, set())
            retired += len(previous - keys)
            self._live_keys[metric.name] = keys
            live_total += len(keys)
        self._retired += retired
        if self._retired > live_total // 2 + 1000:
            self.rebuild_inventory(reason=f"{self._retired} series retired, {live_total} live")
            if self._settings.prometheus.enabled:
                self.render_inventory()  # the new pipeline's exposition, before a scrape asks
        if not self._settings.otlp.enabled:
            with new.memo_lock:
                new.memo.clear()

    def rebuild_inventory(self, reason: str) -> None:
        new = self._build_inventory()
        with self._lock:
            old, self._inventory = self._inventory, new
            self.generation += 1
            self.rebuilds += 1
            self._retired = 0
        log.info("rebuilt the metric pipeline to forget retired series (%s)", reason)
        threading.Thread(target=old.shutdown, name="otel-ovh-shutdown", daemon=True).start()

    # -- Prometheus --------------------------------------------------------------------------------

    def render_inventory(self, wait: bool = True) -> _Exposition:
        """OVH series in Prometheus text format, rendered once per snapshot and pipeline generation.

        ``wait=False`` (scrapes): answer with the last exposition rendered, never render. The refresher
        renders each snapshot as it publishes it (20,000 series take ~0.6 s on a small VM), so the body a
        scrape gets lags the newest snapshot by that render at most; staleness still holds: an expired
        project's series go with the next body.
        """
        cached = self._cache
        if not wait and cached is not None:
            return cached  # the refresher renders every snapshot it publishes; a scrape only copies
        self._render_lock.acquire()
        try:
            version, generation = self._store.current.version, self.generation
            cached = self._cache
            if cached is not None and cached.version == version and cached.generation == generation:
                return cached
            registry = self._inventory.readers.registry
            body = generate_latest(registry) if registry is not None else b""
            # Compressed once here rather than per scrape: Prometheus asks for gzip, and 5 MB of text
            # become ~0.3 MB, which a scrape then writes in a few system calls.
            self._cache = _Exposition(version, generation, gzip.compress(body, compresslevel=5, mtime=0))
            return self._cache
        finally:
            self._render_lock.release()

    def render_self(self) -> bytes:
        registry = self._self.readers.registry
        return generate_latest(registry) if registry is not None else b""

    def keep_self_rendered(self, every: float = 1.0) -> None:
        """Render the self metrics in the background, every ``every`` seconds, for scrapes to copy.

        Collecting them (SDK plus the process readings) is the only work left in a scrape, ~5 ms, and the
        one that makes a scrape slow when it meets the refresher's CPU work. Rendered here instead, a
        scrape only copies bytes; the figures are at most ``every`` seconds old, finer than any
        scrape interval and than the one-second resolution of the ages they carry.
        """

        def loop() -> None:
            while not self._stopping.wait(every):
                self._refresh_self()

        self._refresh_self()
        threading.Thread(target=loop, name="otel-ovh-self-metrics", daemon=True).start()

    def _refresh_self(self) -> None:
        text = self.render_self()
        self._self_cache = (text, gzip.compress(text, compresslevel=1, mtime=0))

    def render(self, compress: bool = False) -> bytes:
        """What a scrape of ``/metrics`` answers: never waits for a render another thread is doing.

        Compressed, it is two gzip members (the cached inventory, then the self metrics): one valid gzip
        stream, as RFC 1952 and every decoder Prometheus uses allow. The self metrics come from the
        background render when ``keep_self_rendered`` runs, else are collected now.
        """
        inventory = self.render_inventory(wait=False)
        cached_self = self._self_cache
        if compress:
            own = (
                cached_self[1] if cached_self else gzip.compress(self.render_self(), compresslevel=1, mtime=0)
            )
            return inventory.gzipped + own
        return inventory.text + (cached_self[0] if cached_self else self.render_self())

    # -- lifecycle ---------------------------------------------------------------------------------

    def force_flush(self, timeout_millis: int = 10_000) -> None:
        for pipeline in (self._inventory, self._self):
            pipeline.provider.force_flush(timeout_millis)

    def shutdown(self, timeout: float = 8.0) -> None:
        """Both pipelines at once: each makes a last OTLP export, which waits out a dead collector's timeout.

        Bounded, so that a stop (SIGTERM from Kubernetes) ends in time whatever the collector does.
        """
        self._stopping.set()
        threads = [
            threading.Thread(target=p.shutdown, name="otel-ovh-shutdown", daemon=True)
            for p in (self._self, self._inventory)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
