"""The Prometheus text as otel-ovh serves it: series without empty labels.

The Prometheus exporter gives every point of a metric every label key any point has, filling the
missing ones with ``""``; our points leave empty values out (``pipeline.without_empty``), so the
exporter puts them back. Prometheus stores ``label=""`` as no label, but a reader of ``/metrics`` (or
``collect --format prometheus``) sees dozens of labels that say nothing. They are taken out of the
rendered text, once per snapshot (the text is cached), rather than by re-implementing the exporter.

In the text format a label value escapes its quotes (``\\"``), so ``name=""`` preceded by ``{`` or
``,`` can only be a whole, empty label, never part of a value.

The text is made and compressed one metric family at a time (``gzipped_exposition``): the whole text of
a large organisation, held at once in the forms ``generate_latest`` builds it in (a list of lines, the
joined string, its bytes, then the copy without empty labels), was the largest transient of a render.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

_NOT_FIRST = re.compile(rb',[a-zA-Z_][a-zA-Z0-9_]*=""')
_FIRST = re.compile(rb'\{[a-zA-Z_][a-zA-Z0-9_]*=""(,|\})')


def drop_empty_labels(text: bytes) -> bytes:
    if b'=""' not in text:
        return text
    text = _NOT_FIRST.sub(b"", text)
    return _FIRST.sub(lambda match: b"{" if match.group(1) == b"," else b"", text)


class _One:
    """A collector of one metric family, so that ``generate_latest`` formats that family alone."""

    def __init__(self, family: Metric) -> None:
        self._family = family

    def collect(self) -> Iterable[Metric]:
        return (self._family,)


def gzipped_exposition(registry: Collector, level: int = 5) -> bytes:
    """The text of every family ``registry`` collects, without empty labels, as one gzip member.

    Formatted by ``prometheus_client`` itself, family by family: the same bytes as ``generate_latest``
    of the whole registry, but only one family's text exists at a time beside the compressed output, and
    with ``pipeline.MetricByMetricReader`` one family at all.
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: a gzip header, mtime 0
    parts: list[bytes] = []
    done: set[int] = set()
    failure: Exception | None = None
    # Drained to the end even when a family fails, so that no metric of this collection is left queued in
    # the reader for the next one; the first failure is raised then, as generate_latest would.
    for family in registry.collect():
        if id(family) in done:
            continue  # yielded again: the reader's collector yields every family so far after each metric
        done.add(id(family))
        try:
            parts.append(compressor.compress(drop_empty_labels(generate_latest(_One(family)))))
        except Exception as exc:
            failure = failure or exc
        if family.type != "info":  # info: the reader's target_info, which it keeps for the next collection
            family.samples.clear()  # made for this collection only: its memory goes now, not at the end
    if failure is not None:
        raise failure
    parts.append(compressor.flush())
    return b"".join(parts)
