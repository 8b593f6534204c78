"""The product's ``account_gap`` family makes no call of its own: it compares the records of ``cost`` and
``account``, which their simulated families answer (``account.gap`` makes the two disagree)."""

from __future__ import annotations

from otel_ovh.simulator.family import Family

FAMILY = Family(routes={})
