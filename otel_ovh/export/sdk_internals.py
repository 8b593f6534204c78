"""Every use of the OpenTelemetry SDK's private parts, in one place, with the check that they are still there.

* The SDK keys each attribute set an instrument stores by ``_view_instrument_match._hash_attributes``, a
  nested tuple many times the size of the set; ``compact_attribute_keys`` gives it a flat key instead
  (a change to the whole process, made once, when ``pipeline`` is imported).
* An exporter's temporality and aggregation preferences are kept in ``_preferred_temporality`` and
  ``_preferred_aggregation``, with no public read; a wrapping exporter has to repeat them.
* ``PeriodicExportingMetricReader`` runs in ``_daemon_thread`` and says nothing when that thread dies.

``pyproject.toml`` pins the SDK below its next minor version, and ``missing`` (run by
``tests/unit/test_internals.py``) names whatever an upgrade moved.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider, ObservableCounter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import Aggregation

LIBRARY = "opentelemetry-sdk"


Preferences = tuple[dict[type, AggregationTemporality], dict[type, Aggregation]]


def preferences(exporter: MetricExporter) -> Preferences:
    """The temporality and aggregation ``exporter`` asks its reader for."""
    return dict(exporter._preferred_temporality or {}), dict(exporter._preferred_aggregation or {})


def export_thread(reader: MetricReader) -> threading.Thread | None:
    """The thread a periodic reader collects and exports in (None for other readers)."""
    thread = getattr(reader, "_daemon_thread", None)
    return thread if isinstance(thread, threading.Thread) else None


def compact_attribute_keys() -> bool:
    """Make the metrics SDK key its attribute sets by a flat tuple; True once in effect.

    An observable instrument keeps every attribute set it has seen, keyed by ``_hash_attributes``: a tuple
    of (key, (type name, value)) pairs, two tuples per attribute, which is most of the SDK's memory per
    series. Our attributes are strings and integers only; for those, the flat tuple (key, value, key,
    value, ...) in key order tells the same sets apart (``"1" != 1``, and ``bool`` values, which equal
    integers, are left to the SDK's own key) and cannot equal any key the SDK makes itself (those are pairs
    whose second item is a tuple or a scalar tag). Anything else falls back to the SDK's function. Where
    the SDK no longer has the function, nothing is changed and False says so.
    """
    try:
        from opentelemetry.sdk.metrics._internal import _view_instrument_match as storage
    except ImportError:
        return False
    original = getattr(storage, "_hash_attributes", None)
    if original is None:
        return False
    if getattr(original, "compact", False):
        return True
    storage._hash_attributes = _flat_key(original)  # type: ignore[assignment]  # same contract, any key
    return True


def _flat_key(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def flat(value: Any) -> Any:
        if type(value) is not dict:
            return original(value)
        key: list[object] = []
        try:
            names = sorted(value)
        except TypeError:
            return original(value)
        for name in names:
            item = value[name]
            if type(name) is not str or (type(item) is not str and type(item) is not int):
                return original(value)
            key.append(name)
            key.append(item)
        return tuple(key)

    flat.compact = True  # type: ignore[attr-defined]
    flat.original = original  # type: ignore[attr-defined]
    return flat


def missing() -> list[str]:
    """What this module relies on that the installed SDK no longer has."""
    gone: list[str] = []
    try:
        from opentelemetry.sdk.metrics._internal import _view_instrument_match
    except ImportError:
        hashing = None
    else:
        hashing = getattr(_view_instrument_match, "_hash_attributes", None)
    if not callable(hashing):
        gone.append("opentelemetry.sdk.metrics._internal._view_instrument_match._hash_attributes")
    wanted: dict[type, AggregationTemporality] = {ObservableCounter: AggregationTemporality.DELTA}
    exporter = ConsoleMetricExporter(out=io.StringIO(), preferred_temporality=wanted)
    try:
        if preferences(exporter)[0].get(ObservableCounter) is not AggregationTemporality.DELTA:
            gone.append("MetricExporter._preferred_temporality")
    except AttributeError:
        gone.append("MetricExporter._preferred_temporality and _preferred_aggregation")
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader])
    thread = export_thread(reader)
    if thread is None or not thread.is_alive():
        gone.append("PeriodicExportingMetricReader._daemon_thread (a running Thread)")
    provider.shutdown()
    return gone
