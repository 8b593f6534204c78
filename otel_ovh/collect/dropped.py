"""Values dropped while reading a refresh's answers, counted by kind for one warning each.

Each unreadable value is dropped alone (``ovh.fields``); a line per value would bury the rest of the
log, so a refresh ends with one warning per kind, however many values and projects, with the first few
places as examples.
"""

from __future__ import annotations

import logging

from otel_ovh.ovh.fields import Problems

log = logging.getLogger(__name__)
EXAMPLES = 3  # places named per kind


class DroppedValues:
    """One refresh's dropped values: kind -> (count, the first places)."""

    def __init__(self) -> None:
        self._kinds: dict[str, tuple[int, list[str]]] = {}

    def book(self, source: str, problems: Problems) -> None:
        for kind, count in problems.kinds.items():
            total, where = self._kinds.get(kind, (0, []))
            where += [f"{source}: {message}" for message in problems.examples[kind][: EXAMPLES - len(where)]]
            self._kinds[kind] = (total + count, where)

    def log(self, refresh: int) -> None:
        """The warnings of the refresh that ends, then a clean slate for the next."""
        for kind, (count, where) in sorted(self._kinds.items()):
            more = f" (+{count - len(where)} more)" if count > len(where) else ""
            examples = "; ".join(where)
            log.warning("refresh %d: %d value(s) dropped, %s: %s%s", refresh, count, kind, examples, more)
        self._kinds = {}
