"""OpenTelemetry wiring: resource, meter providers, one instrument per catalog entry, and the readers.

Two meter providers, on purpose:

* the *inventory* provider carries everything read from a snapshot: OVH's data (tens of thousands of
  series) and the per-project health (collection success and duration, when each family was fetched and
  when it is due). Its points change only when the refresher publishes a new snapshot, so its Prometheus
  exposition is rendered once per snapshot and served from memory; a scrape of unchanged data costs a
  memory copy, not a render. This is why the data's age is served as the time of its fetch: an age
  changes every second, and would make thousands of series (projects x families) a render per second;
* the *self* provider carries what moves between snapshots: OVH calls, memory, the process, which must be
  current at every scrape and is small.

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
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics.view import View

from otel_ovh.collect.outages import OutageLog
from otel_ovh.collect.snapshot import Snapshot, SnapshotStore
from otel_ovh.export.catalog import ExporterState, MetricDefinition
from otel_ovh.export.exposition import gzipped_exposition, project_index, render_tolerant
from otel_ovh.export.memory import MemoryBudget
from otel_ovh.export.otlp.delta import DeltaState
from otel_ovh.export.pipeline import (
    NO_EXEMPLARS_VIEW,
    ONE_GC_GENERATION_LABEL,
    Pipeline,
    build_resource,
    enabled_metrics,
    instrument_process,
    iter_observations,
)
from otel_ovh.export.sdk_internals import export_thread
from otel_ovh.ovh.client import CallStats
from otel_ovh.settings.config import Settings

log = logging.getLogger(__name__)


class _Plain:
    """The plain text of one render and its per-project index, each made once, on first use, then shared
    by every answer: a client that does not take gzip costs no copy of its own, however many there are.

    ``forget`` lets go of both as the next render begins, whose transient peak they would add to (a
    client asking meanwhile makes them again, once); answers being written keep what they hold.
    """

    def __init__(self, gzipped: bytes) -> None:
        self._gzipped = gzipped
        self._lock = threading.Lock()
        self._text: bytes | None = None
        self._index: dict[str, bytes] | None = None

    def text(self) -> bytes:
        with self._lock:
            if self._text is None:
                self._text = gzip.decompress(self._gzipped)
            return self._text

    def project(self, project_id: str) -> bytes:
        text = self.text()
        with self._lock:
            if self._index is None:
                self._index = project_index(text)
            return self._index.get(project_id, b"")

    def forget(self) -> None:
        with self._lock:
            self._text, self._index = None, None


@dataclass(frozen=True)
class _Exposition:
    """The series of one snapshot as served (OVH's and the per-project health), with the self metrics
    rendered since. The snapshot's part is kept compressed, and in plain text only once a client asks for
    it (``_Plain``): Prometheus asks for gzip, and the plain text held beside a render's transient peak is
    what pushed the process over its memory budget."""

    version: int  # of the snapshot it shows
    generation: int  # of the inventory pipeline that rendered it
    gzipped: bytes
    self_text: bytes = b""  # the self metrics (calls, memory, process), re-rendered as time passes
    self_gzipped: bytes = b""
    plain: _Plain | None = None  # shared by the copies ``replace`` makes as the self metrics move

    @property
    def text(self) -> bytes:
        """For clients that do not take gzip, ``/probe`` and ``collect --format prometheus``."""
        return self.plain.text() if self.plain is not None else gzip.decompress(self.gzipped)


class Telemetry:
    """Owns the pipelines and renders the Prometheus exposition."""

    def __init__(
        self,
        settings: Settings,
        store: SnapshotStore,
        stats: CallStats,
        clock: Callable[[], float] = time.time,
        replacing: Telemetry | None = None,
    ) -> None:
        """``replacing``: the pipelines these replace after a reload, whose OTLP deltas continue here."""
        self._settings = settings
        self._store = store
        self._stats = stats
        self.memory = MemoryBudget.of(settings)
        self._state = ExporterState(stats, self.memory)
        self._clock = clock
        self.resource = build_resource(settings)
        metrics = enabled_metrics(settings)
        self._inventory_metrics = [m for m in metrics if m.from_snapshot]
        self._self_metrics = [m for m in metrics if not m.from_snapshot]
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self.generation = 0
        self.rebuilds = 0
        # Delta temporality state per pipeline, outliving inventory rebuilds (export.otlp.DeltaState).
        self._otlp_delta: dict[str, DeltaState] = (
            replacing._otlp_delta if replacing else {"inventory": DeltaState(), "self": DeltaState()}
        )
        self._inventory = self._build_inventory()
        gc_name, gc_keys = ONE_GC_GENERATION_LABEL
        self._self = Pipeline(
            settings,
            self.resource,
            self._self_metrics,
            self._self_callback,
            target_info=False,
            views=[View(instrument_name=gc_name, attribute_keys=gc_keys)],
            otlp_delta=self._otlp_delta["self"],
            standard_process=True,
        )
        if settings.otlp_resolved is not None:  # scrape mode has prometheus_client's process collectors
            instrument_process(self._self.provider)
        self._cache: _Exposition | None = None
        # What the inventory's collections read: the snapshot served, which moves only with the exposition
        # (under ``_self_lock``), so that its OTLP exports show what scrapes show; with no Prometheus
        # exposition it moves with each snapshot. The render of a new exposition alone reads the new
        # snapshot, in its own thread (``_rendering``).
        self._self_source = store.current
        self._rendering = threading.local()
        self._self_lock = threading.Lock()
        self._self_kept = False  # keep_self_rendered runs
        self._render_log = OutageLog(log)
        self.render_error: str | None = None  # why the last render of OVH's series failed, if it did
        self._stopping = threading.Event()
        # Per metric, the hashes of its live attribute sets: only counted, so a hash will do (the frozensets
        # themselves are a large share of the heap; a rare collision only miscounts a rebuild heuristic),
        # kept in an array (8 bytes each) between snapshots rather than a set.
        self._live_keys: dict[str, array[int]] = {}
        self._retired = 0
        store.subscribe(self._on_snapshot)

    # -- pipelines ---------------------------------------------------------------------------------

    def _build_inventory(self) -> Pipeline:
        return Pipeline(
            self._settings,
            self.resource,
            self._inventory_metrics,
            self._inventory_callback,
            target_info=True,
            views=[NO_EXEMPLARS_VIEW],
            otlp_delta=self._otlp_delta["inventory"],
            metric_by_metric=True,
        )

    def _inventory_callback(
        self, metric: MetricDefinition
    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(_: CallbackOptions) -> Iterable[Observation]:
            rendering: Snapshot | None = getattr(self._rendering, "snapshot", None)
            source = self._self_source if rendering is None else rendering
            return iter_observations(metric, source, self._clock())

        return callback

    def _self_callback(self, metric: MetricDefinition) -> Callable[[CallbackOptions], Iterable[Observation]]:
        points = metric.exporter_points
        if points is None:
            raise ValueError(f"{metric.name} is read from a snapshot: it belongs to the inventory pipeline")

        def callback(_: CallbackOptions) -> Iterable[Observation]:
            return [Observation(value, attrs) for attrs, value in points(self._state)]

        return callback

    # -- churn -------------------------------------------------------------------------------------

    def _on_snapshot(self, old: Snapshot, new: Snapshot) -> None:
        """Count series that went away; rebuild the inventory pipeline when they outnumber the live ones.

        The exposition is rendered first: until it is, scrapes answer with the previous one (see
        ``render_inventory``). Memory: no point is kept; every collection, and the count below, makes the
        points one at a time from the snapshot (cheap beside holding them all at a render's peak).
        """
        if self._settings.prometheus.enabled:
            self.render_inventory()  # warm the cache so that the next scrape is cheap
        else:
            self._self_source = new
        live_total = 0
        retired = 0
        for metric in self._inventory_metrics:
            points = iter_observations(metric, new, self._clock())
            keys = {hash(frozenset(p.attributes.items())) for p in points if p.attributes}
            previous = self._live_keys.get(metric.name, array("q"))
            retired += sum(1 for key in previous if key not in keys)
            self._live_keys[metric.name] = array("q", keys)
            live_total += len(keys)
        self._retired += retired
        self.memory.update(live_total)
        if self._retired > live_total // 2 + 1000:
            self.rebuild_inventory(reason=f"{self._retired} series retired, {live_total} live")
            if self._settings.prometheus.enabled:
                self.render_inventory()  # the new pipeline's exposition, before a scrape asks

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
        renders each snapshot as it publishes it, so the body a scrape gets lags the newest snapshot by
        that render at most; staleness still holds: an expired project's series go with the next body.
        """
        cached = self._cache
        if not wait and cached is not None:
            return cached  # the refresher renders every snapshot it publishes; a scrape only copies
        self._render_lock.acquire()
        try:
            snapshot, generation = self._store.current, self.generation
            cached = self._cache
            if cached is not None and cached.version == snapshot.version and cached.generation == generation:
                return cached
            registry = self._inventory.readers.registry
            self._rendering.snapshot = snapshot
            if cached is not None and cached.plain is not None:
                cached.plain.forget()
            try:
                # Compressed once here rather than per scrape: Prometheus asks for gzip, and the compressed
                # body is a small fraction of the text, which a scrape then writes in a few system calls.
                body = (
                    gzipped_exposition(registry, self._render_log, "OVH series")
                    if registry is not None
                    else gzip.compress(b"", mtime=0)
                )
            except Exception as exc:  # scrapes keep the previous exposition; /readyz says it is stale
                self.render_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                raise
            finally:
                self._rendering.snapshot = None
            self.render_error = None
            rendered = _Exposition(snapshot.version, generation, body, plain=_Plain(body))
            with self._self_lock:
                self._self_source = snapshot
                self._cache = self._with_self(rendered)
                return self._cache
        finally:
            self._render_lock.release()

    def render_self(self) -> bytes:
        """The self metrics (calls, memory, process); callers hold ``_self_lock`` (or serve no exposition)."""
        registry = self._self.readers.registry
        return render_tolerant(registry, self._render_log, "self metrics") if registry is not None else b""

    def _with_self(self, exposition: _Exposition) -> _Exposition:
        text = self.render_self()
        return replace(exposition, self_text=text, self_gzipped=gzip.compress(text, compresslevel=1, mtime=0))

    def keep_self_rendered(self, every: float = 1.0) -> None:
        """Render the self metrics every ``every`` seconds, for scrapes to copy, until shutdown.

        Collecting them (SDK plus the process readings) is the only work left in a scrape, and the
        one that makes a scrape slow when it meets the refresher's CPU work. Rendered here instead, a
        scrape only copies bytes; the figures are at most ``every`` seconds old, finer than any
        scrape interval. Should this loop
        die, scrapes collect them again until it is restarted (``otel_ovh.serve.supervisor`` runs it).
        """
        try:
            self.refresh_self()
            self._self_kept = True
            while not self._stopping.wait(every):
                self.refresh_self()
        finally:
            self._self_kept = False

    def refresh_self(self) -> _Exposition | None:
        """The exposition served, with its self metrics rendered now (None before the first render)."""
        with self._self_lock:
            if self._cache is not None:
                self._cache = self._with_self(self._cache)
            return self._cache

    def render(self, compress: bool = False) -> bytes:
        """The body of ``/metrics`` as one bytes, for ``collect --format prometheus`` and reports."""
        return b"".join(self.answer(compress))

    def answer(self, compress: bool = False) -> tuple[bytes, ...]:
        """What a scrape of ``/metrics`` answers, as two segments every connection shares (the cached
        inventory, then the self metrics): never waits for a render another thread is doing.

        Compressed, they are two gzip members: one valid gzip stream, as RFC 1952 and every decoder
        Prometheus uses allow. The self metrics come from the background render when
        ``keep_self_rendered`` runs, else are collected now.
        """
        served = self._served_exposition()
        return (served.gzipped, served.self_gzipped) if compress else (served.text, served.self_text)

    def select(self, project_id: str) -> tuple[bytes, ...]:
        """The ``/probe`` answer for one project, from the index of the exposition served (built once)."""
        served = self._served_exposition()
        return (served.plain.project(project_id) if served.plain is not None else b"",)

    def _served_exposition(self) -> _Exposition:
        served = self._cache if self._self_kept else self.refresh_self()
        return served if served is not None else self.render_inventory()

    @property
    def served(self) -> Snapshot:
        """The snapshot whose data is served now (``/metrics``, or OTLP when Prometheus is off)."""
        return self._self_source

    def reader_trouble(self) -> str | None:
        """The SDK's periodic OTLP readers run in threads of their own: is one of them gone?"""
        for name, pipeline in (("OVH series", self._inventory), ("self metrics", self._self)):
            for reader in pipeline.readers.others:
                thread = export_thread(reader)
                if thread is not None and not thread.is_alive() and not self._stopping.is_set():
                    return f"the OTLP export thread of the {name} died"
        return None

    # -- lifecycle ---------------------------------------------------------------------------------

    def force_flush(self, timeout_millis: int = 10_000) -> None:
        for pipeline in (self._inventory, self._self):
            pipeline.provider.force_flush(timeout_millis)

    def shutdown(self, timeout: float = 8.0) -> None:
        """Both pipelines at once: each makes a last OTLP export, which waits out a dead collector's timeout.

        Bounded, so that a stop (SIGTERM from Kubernetes) ends in time whatever the collector does.
        """
        self._store.unsubscribe(self._on_snapshot)
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
