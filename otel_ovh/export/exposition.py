"""The Prometheus text as otel-ovh serves it: series without empty labels.

The Prometheus exporter gives every point of a metric every label key any point has, filling the
missing ones with ``""``; our points leave empty values out (``pipeline.without_empty``), so the
exporter puts them back. Prometheus stores ``label=""`` as no label, but a reader of ``/metrics`` (or
``collect --format prometheus``) sees dozens of labels that say nothing. They are taken out of the
rendered text, once per snapshot (the text is cached), rather than by re-implementing the exporter.

In the text format a label value escapes its quotes (``\\"``), so ``name=""`` preceded by ``{`` or
``,`` can only be a whole, empty label, never part of a value.

The OVH series are made and compressed one metric family at a time (``gzipped_exposition``): the whole
text of a large organisation, held at once in the forms ``generate_latest`` builds it in (a list of
lines, the joined string, its bytes, then the copy without empty labels), was the largest transient of
a render.
"""

from __future__ import annotations

import copy
import logging
import re
import zlib
from collections.abc import Iterable

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from otel_ovh.collect.outages import OutageLog

_NOT_FIRST = re.compile(rb',[a-zA-Z_][a-zA-Z0-9_]*=""')
_FIRST = re.compile(rb'\{[a-zA-Z_][a-zA-Z0-9_]*=""(,|\})')


def drop_empty_labels(text: bytes) -> bytes:
    if b'=""' not in text:
        return text
    text = _NOT_FIRST.sub(b"", text)
    return _FIRST.sub(lambda match: b"{" if match.group(1) == b"," else b"", text)


def render_tolerant(registry: Collector, log: OutageLog, what: str) -> bytes:
    """``generate_latest``, where one series that cannot be written costs that series, not the render.

    Parsing already drops what could not be served; this is the last line: a render that fails whole
    would leave every scrape with the previous exposition (going stale) or an error. The slow path runs
    only after a failure: the registry is collected again and written one family, then one series, at a
    time.
    """
    try:
        body = generate_latest(registry)
    except Exception:
        body = None
    if body is not None:
        log.recovered(what, f"{what}: every series is rendered again")
        return body
    parts: list[bytes] = []
    dropped = 0
    for metric in registry.collect():
        text, lost = _family_text(metric)
        parts.append(text)
        dropped += lost
    _say(log, what, dropped)
    return b"".join(parts)


def gzipped_exposition(registry: Collector, log: OutageLog, what: str, level: int = 5) -> bytes:
    """The text of every family ``registry`` collects, without empty labels, as one gzip member.

    Formatted by ``prometheus_client`` itself, family by family: the same bytes as ``generate_latest``
    of the whole registry, but only one family's text exists at a time beside the compressed output, and
    with ``pipeline.MetricByMetricReader`` one family at all. A series that cannot be written costs that
    series, as in ``render_tolerant``.
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: a gzip header, mtime 0
    parts: list[bytes] = []
    done: set[int] = set()
    dropped = 0
    for family in registry.collect():
        if id(family) in done:
            continue  # yielded again: the reader's collector yields every family so far after each metric
        done.add(id(family))
        text, lost = _family_text(family)
        dropped += lost
        parts.append(compressor.compress(drop_empty_labels(text)))
        if family.type != "info":  # info: the reader's target_info, which it keeps for the next collection
            family.samples.clear()  # made for this collection only: its memory goes now, not at the end
    parts.append(compressor.flush())
    _say(log, what, dropped)
    return b"".join(parts)


def _family_text(metric: Metric) -> tuple[bytes, int]:
    """One family's text, and how many of its series were left out because they cannot be written."""
    try:
        return generate_latest(_Only([metric])), 0
    except Exception:
        pass
    family = copy.copy(metric)
    family.samples = [sample for sample in metric.samples if _writable(metric, sample)]
    try:
        return generate_latest(_Only([family])), len(metric.samples) - len(family.samples)
    except Exception:  # the family itself (its name, its help) cannot be written
        return b"", len(metric.samples)


def _say(log: OutageLog, what: str, dropped: int) -> None:
    if dropped:
        log.failed(what, f"{what}: {dropped} series that could not be rendered dropped", logging.WARNING)
    else:
        log.recovered(what, f"{what}: every series is rendered again")


class _Only:
    """A registry of the given metric families (``generate_latest`` asks only for ``collect``)."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._metrics


def _writable(metric: Metric, sample: Sample) -> bool:
    family = copy.copy(metric)
    family.samples = [sample]
    try:
        generate_latest(_Only([family]))
    except Exception:
        return False
    return True


_ACCOUNT = re.compile(rb'cloud_account_id="([^"]*)"')


def project_index(text: bytes) -> dict[str, bytes]:
    """Per project, its series with the HELP and TYPE lines of their families (the multi-target pattern).

    Built in one pass, so that ``/probe`` for every project costs one pass over the exposition in all,
    not one per project.
    """
    lines: dict[str, list[bytes]] = {}
    shown: dict[str, int] = {}  # per project, the header block it last showed
    header: list[bytes] = []
    block = 0
    in_header = False
    for line in text.splitlines(keepends=True):
        if line.startswith(b"#"):
            if not in_header:
                header, block, in_header = [], block + 1, True
            header.append(line)
            continue
        in_header = False
        match = _ACCOUNT.search(line)
        if match is None:
            continue
        project = match.group(1).decode("utf-8", "replace")
        own = lines.setdefault(project, [])
        if shown.get(project) != block:
            shown[project] = block
            own.extend(header)
        own.append(line)
    return {project: b"".join(own) for project, own in lines.items()}


def filter_project(text: bytes, project_id: str) -> bytes:
    """The series of one project in ``text``, with the HELP and TYPE lines of their families."""
    return project_index(text).get(project_id, b"")
