"""The ``account`` section: how much of the account's history the ``account`` family reads."""

from __future__ import annotations

from dataclasses import dataclass

from otel_ovh.settings.schema import integer, setting


@dataclass(frozen=True)
class AccountSettings:
    bill_months: int = setting(
        13,
        "months of bills (`/me/bill`) the `account` family reports, this one included: 13 compares a "
        "month with the same one a year before",
        convert=integer(1, 120),
    )
