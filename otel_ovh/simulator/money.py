"""Money and quantities, computed in integer cents so that every sum is exact.

The contract the product's tests rely on (see billing.py): each finest-level figure (a detail, a
storage part, a resourcesUsage component…) is rounded to the cent once, from its rounded quantity;
every figure above it is the integer sum of the figures below; so a line's `totalPrice` equals the
sum of its details and the top-level `totalPrice.value` equals the sum of all lines, to the cent,
with no floating-point drift. OVH shows money two ways and both are rendered from the same cents:
a plain double (`21.39`) and an `order.Price` object.
"""

from __future__ import annotations

import math
from typing import Any

CURRENCY = "EUR"
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CAD": "$"}
QUANTITY_DECIMALS = 4


def cents_of(quantity: float, unit_price: float) -> int:
    """Price of `quantity` units at `unit_price`, rounded half up to the cent."""
    return math.floor(quantity * unit_price * 100 + 0.5)


def as_double(cents: int) -> float:
    """The plain-number encoding (classic usage lines)."""
    return cents / 100


def as_price(cents: int, currency: str = CURRENCY) -> dict[str, Any]:
    """The `order.Price` encoding: `priceInUcents` is value x 10^8 (microcents), `text` like `92.11 €`."""
    return unit_price(cents / 100, currency)


def unit_price(value: float, currency: str = CURRENCY) -> dict[str, Any]:
    """An `order.Price` for a rate that is not a whole number of cents (a savings plan's unit price)."""
    return {
        "currencyCode": currency,
        "priceInUcents": round(value * 100_000_000),
        "text": f"{value:.2f} {_SYMBOLS.get(currency, currency)}",
        "value": value,
    }


def round_quantity(value: float) -> float:
    """Quantities are shown with four decimals: enough for GiB of internal traffic, free of noise."""
    return round(value, QUANTITY_DECIMALS)


def quantity(unit: str, value: float) -> dict[str, Any]:
    return {"unit": unit, "value": round_quantity(value)}
