"""One log line when a failure starts and one when it ends, whatever the number of refreshes between.

An operator reads an outage as one event: a project whose quota call fails every five minutes for a day,
or a collector that is down for both of our pipelines. Keys name the outage; members, when several
parties fail within one outage (the exporters of two pipelines to one collector), end it only when the
last of them recovers. Repeats are logged at DEBUG, so ``--debug`` still shows every attempt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable


class OutageLog:
    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._failing: dict[str, set[Hashable]] = {}

    def failed(self, key: str, message: str, level: int = logging.WARNING, member: Hashable = None) -> None:
        with self._lock:
            failing = self._failing.setdefault(key, set())
            first = not failing
            failing.add(member)
        self._log.log(level if first else logging.DEBUG, "%s", message)

    def recovered(self, key: str, message: str, member: Hashable = None) -> None:
        with self._lock:
            failing = self._failing.get(key)
            if not failing or member not in failing:
                return
            failing.discard(member)
            last = not failing
            if last:
                del self._failing[key]
        if last:
            self._log.info("%s", message)

    def forget(self, key: str, member: Hashable = None) -> None:
        """``member`` is gone (an exporter shut down): it no longer holds the outage open, silently."""
        with self._lock:
            failing = self._failing.get(key)
            if failing is not None:
                failing.discard(member)
                if not failing:
                    del self._failing[key]
