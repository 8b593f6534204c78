"""Helpers for tests against the simulated OVH API (importable by other test folders too).

* `Clock`: a settable clock for `World(clock=...)`, so tests move time instead of waiting;
* `ovh_client(sim, monkeypatch, ...)`: a real `ovh.Client` pointed at the simulator;
* usage walkers: every priced line of a usage body, and every finest-level priced figure (details,
  storage parts, components…), with their price in integer cents whichever encoding they use.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import ovh
import pytest

from otel_ovh.simulator import SimulatedOvh

MID_OCTOBER = 1_760_443_200  # 2025-10-14T12:00:00Z: mid-month, so both halves of the period exist
_names = itertools.count(1)


class Clock:
    """A clock the test sets; `World` reads it as `time.time`."""

    def __init__(self, start: float = MID_OCTOBER) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ovh_client(
    sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch, oauth2: bool = False, **overrides: Any
) -> Any:
    """An `ovh.Client` for the simulator, under a fresh endpoint name (unregistered at teardown)."""
    name = f"sim-{next(_names)}"
    monkeypatch.setitem(ovh.client.ENDPOINTS, name, sim.url)
    if oauth2:
        monkeypatch.setitem(ovh.client.OAUTH2_TOKEN_URLS, name, sim.oauth2_token_url)
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
        return ovh.Client(endpoint=name, **{**sim.oauth2_credentials, **overrides})
    return ovh.Client(endpoint=name, **{**sim.credentials, **overrides})


def cents(price: Any) -> int:
    """Integer cents of a plain-double price or an order.Price object."""
    value: float = price["value"] if isinstance(price, dict) else price
    return round(value * 100)


def usage_lines(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(section, line) for every priced line of a usage body: the terms of its top-level total."""
    for group in ("hourlyUsage", "monthlyUsage"):
        for key, lines in (body.get(group) or {}).items():
            if key == "quantum":
                for sub, quantum_lines in lines.items():
                    yield from ((f"{group}.quantum.{sub}", line) for line in quantum_lines)
            else:
                yield from ((f"{group}.{key}", line) for line in lines)
    yield from (("resourcesUsage", line) for line in body.get("resourcesUsage") or [])


def finest(line: dict[str, Any]) -> list[dict[str, Any]]:
    """The finest priced figures of a line: details, components, or the priced sub-objects of composite
    lines (storage stored/bandwidth/retrieval parts, snapshot instance/volume, instance bandwidth)."""
    if "details" in line and line["details"] is not None:
        return list(line["details"])
    if "resources" in line:
        return [c for resource in line["resources"] for c in resource["components"]]
    return [part for part in line.values() if isinstance(part, dict) and "totalPrice" in part]
