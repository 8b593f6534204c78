"""Typed, forgiving reads from decoded JSON.

OVH's answers drift (fields added, renamed models, nulls where the schema says "not null", older
shapes from older backends). The product must survive any of it: a value of the wrong type is dropped
and reported as a problem, and parsing goes on. Parsers read through :class:`Fields` so that this
policy lives in one place instead of in a hundred ``isinstance`` checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime

GIB = 1024**3  # OpenStack's "GB" (volume sizes, flavor RAM) are GiB
MIB = 1024**2  # and its "MB" (quota RAM) are MiB


class Problems:
    """Collects what could not be read in one answer, for the log; never raises."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        if len(self.messages) < 100:  # one broken answer must not flood the log
            self.messages.append(f"{where}: {message}")

    def __bool__(self) -> bool:
        return bool(self.messages)


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


class Fields:
    """One JSON object, read key by key with the expected type."""

    __slots__ = ("_obj", "problems", "where")

    def __init__(self, obj: object, where: str, problems: Problems) -> None:
        self.where = where
        self.problems = problems
        if isinstance(obj, dict):
            self._obj: dict[str, object] = obj
        else:
            problems.add(where, f"expected an object, got {_kind(obj)}")
            self._obj = {}

    def raw(self, key: str) -> object:
        return self._obj.get(key)

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self._obj.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if value is not None or required:
            self.problems.add(f"{self.where}.{key}", f"expected text, got {_kind(value)}")
        return None

    def number(self, key: str, *, required: bool = False) -> float | None:
        value = self._obj.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        if value is not None or required:
            self.problems.add(f"{self.where}.{key}", f"expected a number, got {_kind(value)}")
        return None

    def timestamp(self, key: str) -> float | None:
        """ISO-8601 with ``Z``, an offset, or microseconds, as OVH's backends variously send it."""
        text = self.text(key)
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.problems.add(f"{self.where}.{key}", f"not a date: {text[:40]!r}")
            return None
        if moment.tzinfo is None:
            self.problems.add(f"{self.where}.{key}", f"date without a time zone: {text[:40]!r}")
            return None
        return moment.timestamp()

    def obj(self, key: str) -> Fields | None:
        value = self._obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problems.add(f"{self.where}.{key}", f"expected an object, got {_kind(value)}")
            return None
        return Fields(value, f"{self.where}.{key}", self.problems)

    def items(self, key: str) -> Iterator[Fields]:
        """The objects of a list field; a null list is an empty one, a non-object item is dropped."""
        return iter_objects(self._obj.get(key), f"{self.where}.{key}", self.problems)

    def price(self, key: str) -> tuple[float | None, str | None]:
        """An amount and its currency, from either of OVH's two encodings.

        Classic usage lines carry a bare number (in the account's currency); newer ones an ``order.Price``
        object ``{currencyCode, priceInUcents, text, value}``.
        """
        value = self._obj.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value), None
        if isinstance(value, dict):
            price = Fields(value, f"{self.where}.{key}", self.problems)
            amount = price.number("value")
            if amount is None and price.number("priceInUcents") is not None:
                amount = (price.number("priceInUcents") or 0.0) / 1e8
            currency = price.text("currencyCode")
            return amount, currency if currency and currency != "N/A" else None
        if value is not None:
            self.problems.add(f"{self.where}.{key}", f"expected a price, got {_kind(value)}")
        return None, None


def iter_objects(value: object, where: str, problems: Problems) -> Iterator[Fields]:
    if value is None:
        return
    if not isinstance(value, list):
        problems.add(where, f"expected a list, got {_kind(value)}")
        return
    for index, item in enumerate(value):
        if isinstance(item, dict):
            yield Fields(item, f"{where}[{index}]", problems)
        else:
            problems.add(f"{where}[{index}]", f"expected an object, got {_kind(item)}")


def iter_keyed(value: object, where: str, problems: Problems, key: str) -> Iterator[tuple[str, Fields]]:
    """The objects of a list that name themselves by ``key`` (an id, a region); one without it is dropped
    and reported, since nothing could tell its series apart."""
    for item in iter_objects(value, where, problems):
        name = item.text(key, required=True)
        if name:
            yield name, item

