"""The memory budget: the process's cgroup limit, and what the series served are expected to need.

Memory grows with the series served (the SDK keeps every attribute set, each reader its own copy, and a
render briefly needs more), so a world that grows past the container's limit ends in an OOM kill, with
nothing said before. The rule of ``docs/scaling.md`` (measured by ``python -m benchmarks.scale``) gives
the peak to expect for a number of series; after each refresh it is compared with the cgroup's limit,
exported (``otel_ovh_memory_limit_bytes``, ``otel_ovh_memory_estimate_bytes``), and one WARNING line is
logged when the estimate passes ``WARN_FRACTION`` of the limit (one INFO line when it is back under).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otel_ovh.settings.config import Settings

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# The sizing rule of docs/scaling.md: peak RSS = a base + series × a slope, by the readers on. The two
# readers' peaks do not add up: a render and an export rarely meet, and the snapshot is shared.
BASE_BYTES = 56 * MIB
OTLP_BASE_BYTES = 24 * MIB  # the gRPC/HTTP exporter and its threads
PROMETHEUS_BYTES_PER_SERIES = 1900
OTLP_BYTES_PER_SERIES = 1300
BOTH_BYTES_PER_SERIES = 2300
WARN_FRACTION = 0.8
_NO_LIMIT = 1 << 60  # cgroup v1 writes "no limit" as a page-rounded LONG_MAX


def peak_estimate(series: int, *, prometheus: bool, otlp: bool) -> int:
    """The sizing rule: the peak resident memory to expect for ``series`` with these readers on."""
    if prometheus and otlp:
        per_series = BOTH_BYTES_PER_SERIES
    else:
        per_series = PROMETHEUS_BYTES_PER_SERIES if prometheus else OTLP_BYTES_PER_SERIES if otlp else 0
    return BASE_BYTES + (OTLP_BASE_BYTES if otlp else 0) + series * per_series


def pod_memory(series: int, *, prometheus: bool, otlp: bool) -> tuple[int, int]:
    """(request, limit) for a pod of ``series``: the peak, and the limit at which it is ``WARN_FRACTION``."""
    peak = peak_estimate(series, prometheus=prometheus, otlp=otlp)
    return peak, int(peak / WARN_FRACTION)


def parse_limit(text: str) -> int | None:
    """A ``memory.max`` (v2) or ``memory.limit_in_bytes`` (v1) value; None for no limit."""
    value = text.strip()
    if not value or value == "max":
        return None
    try:
        limit = int(value)
    except ValueError:
        return None
    return limit if 0 < limit < _NO_LIMIT else None


def own_cgroup(proc_cgroup: str, controller: str = "") -> str:
    """The process's cgroup path, from ``/proc/self/cgroup``: the v2 line (``0::/path``), or with
    ``controller`` the v1 line of that controller (``4:memory:/path``); "/" when there is none."""
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        names = parts[1].split(",") if parts[1] else []
        if (controller in names) if controller else not names:
            return parts[2].strip() or "/"
    return "/"


def cgroup_limit(root: Path, proc_cgroup: str = "") -> int | None:
    """The memory limit of this process's cgroup under ``root`` (v2, else v1); None when there is none.

    In a container the cgroup namespace makes the container's own cgroup the root, so ``root/memory.max``
    is its limit; on a host, the process's cgroup (from ``/proc/self/cgroup``) is looked up first.
    """
    own = own_cgroup(proc_cgroup).lstrip("/")
    own_v1 = own_cgroup(proc_cgroup, "memory").lstrip("/")
    candidates = [root / own / "memory.max"] if own else []
    candidates.append(root / "memory.max")
    if own_v1:
        candidates.append(root / "memory" / own_v1 / "memory.limit_in_bytes")
    candidates.append(root / "memory" / "memory.limit_in_bytes")
    for path in candidates:
        try:
            return parse_limit(path.read_text())
        except OSError:
            continue
    return None


def read_limit(root: str | None) -> int | None:
    if root is None:
        return None
    try:
        proc_cgroup = Path("/proc/self/cgroup").read_text()
    except OSError:
        proc_cgroup = ""
    return cgroup_limit(Path(root), proc_cgroup)


@dataclass
class MemoryBudget:
    """The limit (read once, at start) and the estimate for the series last counted."""

    limit: int | None
    prometheus: bool = True
    otlp: bool = False
    series: int = 0
    _warned: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @classmethod
    def for_readers(cls, root: str | None, *, prometheus: bool, otlp: bool) -> MemoryBudget:
        return cls(read_limit(root), prometheus, otlp)

    @classmethod
    def of(cls, settings: Settings) -> MemoryBudget:
        return cls.for_readers(
            settings.telemetry.cgroup_root, prometheus=settings.prometheus.enabled, otlp=settings.otlp.enabled
        )

    def announce(self) -> None:
        """The start-up line of ``serve``: the limit found, and the series that fit under it."""
        if self.limit is not None:
            log.info(
                "memory limit %.0f MiB (cgroup): about %s series fit (docs/scaling.md)",
                self.limit / MIB,
                f"{self.capacity():,}",
            )

    @property
    def estimate(self) -> int:
        return peak_estimate(self.series, prometheus=self.prometheus, otlp=self.otlp)

    def capacity(self) -> int:
        """Series that fit under ``WARN_FRACTION`` of the limit."""
        base = peak_estimate(0, prometheus=self.prometheus, otlp=self.otlp)
        per_series = peak_estimate(1, prometheus=self.prometheus, otlp=self.otlp) - base
        if self.limit is None or not per_series:
            return 0
        return max(0, int((self.limit * WARN_FRACTION - base) / per_series))

    def update(self, series: int) -> None:
        """Count the series now served; log when the estimate crosses ``WARN_FRACTION`` of the limit."""
        with self._lock:
            self.series = series
            if self.limit is None:
                return
            over = self.estimate > self.limit * WARN_FRACTION
            if over == self._warned:
                return
            self._warned = over
        if over:
            log.warning(
                "memory: %s series need about %.0f MiB at peak, %.0f%% of the %.0f MiB limit; raise the "
                "limit or shard (collect.shard), see docs/scaling.md",
                f"{series:,}",
                self.estimate / MIB,
                100 * self.estimate / self.limit,
                self.limit / MIB,
            )
        else:
            log.info(
                "memory: %s series need about %.0f MiB at peak, back under %.0f%% of the %.0f MiB limit",
                f"{series:,}",
                self.estimate / MIB,
                100 * WARN_FRACTION,
                self.limit / MIB,
            )


def sizing_table(sizes: tuple[int, ...] = (10_000, 50_000, 100_000, 150_000)) -> str:
    """The rule as docs/scaling.md shows it (a test holds the doc to it): request and limit by readers."""
    readers = (("Prometheus", True, False), ("OTLP", False, True), ("Prometheus and OTLP", True, True))
    lines = [
        "| readers on | peak (request) | limit | " + " | ".join(f"{n:,} series" for n in sizes) + " |",
        "|---|---|---|" + "---|" * len(sizes),
    ]
    for name, prometheus, otlp in readers:
        base = peak_estimate(0, prometheus=prometheus, otlp=otlp)
        per_10k = peak_estimate(10_000, prometheus=prometheus, otlp=otlp) - base
        pods = [pod_memory(n, prometheus=prometheus, otlp=otlp) for n in sizes]
        lines.append(
            f"| {name} | {base / MIB:.0f} MiB + {per_10k / MIB:.1f} MiB per 10,000 series "
            f"| request / {WARN_FRACTION:g} | "
            + " | ".join(f"{r / MIB:.0f} / {limit / MIB:.0f} MiB" for r, limit in pods)
            + " |"
        )
    return "\n".join(lines)
