"""The product's ``advice`` family makes no call of its own: it reads the records of the others (the
price list, the bill, the inventory), which their simulated families answer."""

from __future__ import annotations

from otel_ovh.simulator.family import Family

FAMILY = Family(routes={})
