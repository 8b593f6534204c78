"""The Prometheus text as otel-ovh serves it: series without empty labels.

The Prometheus exporter gives every point of a metric every label key any point has, filling the
missing ones with ``""``; our points leave empty values out (``pipeline.without_empty``), so the
exporter puts them back. Prometheus stores ``label=""`` as no label, but a reader of ``/metrics`` (or
``collect --format prometheus``) sees dozens of labels that say nothing. They are taken out of the
rendered text, once per snapshot (the text is cached), rather than by re-implementing the exporter.

In the text format a label value escapes its quotes (``\\"``), so ``name=""`` preceded by ``{`` or
``,`` can only be a whole, empty label, never part of a value.
"""

from __future__ import annotations

import re

_NOT_FIRST = re.compile(rb',[a-zA-Z_][a-zA-Z0-9_]*=""')
_FIRST = re.compile(rb'\{[a-zA-Z_][a-zA-Z0-9_]*=""(,|\})')


def drop_empty_labels(text: bytes) -> bytes:
    if b'=""' not in text:
        return text
    text = _NOT_FIRST.sub(b"", text)
    return _FIRST.sub(lambda match: b"{" if match.group(1) == b"," else b"", text)
