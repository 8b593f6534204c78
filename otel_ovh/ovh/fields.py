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
_LARGEST_COUNT = 2**53


# Kinds of unreadable values: the refresher logs one warning per kind per refresh, whatever the count.
WRONG_TYPE = "wrong type"
UNENCODABLE = "text that is not valid Unicode"
OUT_OF_RANGE = "number out of range"
NEGATIVE = "negative number"
BAD_DATE = "unreadable date"
ODD_VALUE = "unexpected value"


class Problems:
    """Collects what could not be read in one answer, for the log; never raises."""

    def __init__(self) -> None:
        self.kinds: dict[str, int] = {}  # kind -> how many values of that kind were dropped
        self.examples: dict[str, list[str]] = {}  # kind -> the first few of them, for the log

    def add(self, where: str, message: str, kind: str = ODD_VALUE) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < 100:  # one broken answer must not flood the log
            examples.append(f"{where}: {message}")

    @property
    def messages(self) -> list[str]:
        return [message for examples in self.examples.values() for message in examples]

    def __bool__(self) -> bool:
        return bool(self.kinds)


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def encodable(text: str) -> bool:
    """``json.loads`` accepts escapes of unpaired surrogates (``"\\ud800"``), which no UTF-8 encoder
    takes: such a string would fail every render it reached, so it is never read as text."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def finite(value: object) -> float | None:
    """A JSON number as a finite float; None for anything else, integers too long for a float included."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def plain_texts(value: object, where: str, problems: Problems) -> list[str]:
    """A list of names or ids (regions, cluster ids): the texts that can name a series and a route."""
    if not isinstance(value, list):
        problems.add(where, f"expected a list of names, got {_kind(value)}", WRONG_TYPE)
        return []
    texts = [item for item in value if isinstance(item, str) and item and encodable(item)]
    for item in value:
        if isinstance(item, str) and not encodable(item):
            problems.add(where, "a name that is not valid Unicode dropped", UNENCODABLE)
        elif not isinstance(item, str):
            problems.add(where, f"expected a name, got {_kind(item)}", WRONG_TYPE)
    return texts


class Fields:
    """One JSON object, read key by key with the expected type."""

    __slots__ = ("_obj", "problems", "where")

    def __init__(self, obj: object, where: str, problems: Problems) -> None:
        self.where = where
        self.problems = problems
        if isinstance(obj, dict):
            self._obj: dict[str, object] = obj
        else:
            problems.add(where, f"expected an object, got {_kind(obj)}", WRONG_TYPE)
            self._obj = {}

    def raw(self, key: str) -> object:
        return self._obj.get(key)

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self._obj.get(key)
        if isinstance(value, str):
            if encodable(value):
                return value
            self.problems.add(f"{self.where}.{key}", "text that is not valid Unicode", UNENCODABLE)
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            if (number := finite(value)) is not None:
                return str(value) if isinstance(value, int) else str(number)
            self.problems.add(f"{self.where}.{key}", "a number out of range for text", OUT_OF_RANGE)
            return None
        if value is not None or required:
            self.problems.add(f"{self.where}.{key}", f"expected text, got {_kind(value)}", WRONG_TYPE)
        return None

    def status(self, key: str) -> str:
        """A state as a label value, lower-case: OVH sends ``active`` and ``ACTIVE`` for one state, and a
        label taking both would split every dashboard and alert on it ("" when absent)."""
        return (self.text(key) or "").lower()

    def number(
        self, key: str, *, required: bool = False, scale: float = 1.0, minimum: float | None = None
    ) -> float | None:
        """A finite number, times ``scale`` (a unit: GiB to bytes), at least ``minimum`` when given."""
        value = self._obj.get(key)
        if value is None and not required:
            return None
        where = f"{self.where}.{key}"
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.problems.add(where, f"expected a number, got {_kind(value)}", WRONG_TYPE)
            return None
        number = finite(value)
        if number is None or not math.isfinite(number * scale):
            self.problems.add(where, "a number too large or not finite", OUT_OF_RANGE)
            return None
        if minimum is not None and number < minimum:
            self.problems.add(where, f"{number:g} is below {minimum:g}", NEGATIVE)
            return None
        return number * scale

    def count(self, key: str) -> int | None:
        """A whole number of things (a schema ``long``: vCPUs), at least 0. Past 2**53, where a float no
        longer counts in ones, it is out of range: the integer made of it would outgrow a metric point."""
        number = self.number(key, minimum=0)
        if number is None:
            return None
        if number > _LARGEST_COUNT:
            self.problems.add(f"{self.where}.{key}", f"{number:g} is too large a count", OUT_OF_RANGE)
            return None
        return int(number)

    def timestamp(self, key: str) -> float | None:
        """ISO-8601 with ``Z``, an offset, or microseconds, as OVH's backends variously send it."""
        text = self.text(key)
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                self.problems.add(f"{self.where}.{key}", f"date without a time zone: {text[:40]!r}", BAD_DATE)
                return None
            return moment.timestamp()
        except (ValueError, OverflowError):
            self.problems.add(f"{self.where}.{key}", f"not a date: {text[:40]!r}", BAD_DATE)
            return None

    def obj(self, key: str) -> Fields | None:
        value = self._obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problems.add(f"{self.where}.{key}", f"expected an object, got {_kind(value)}", WRONG_TYPE)
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
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.number(key), None
        if isinstance(value, dict):
            price = Fields(value, f"{self.where}.{key}", self.problems)
            amount = price.number("value")
            if amount is None and (ucents := price.number("priceInUcents")) is not None:
                amount = ucents / 1e8
            currency = price.text("currencyCode")
            return amount, currency if currency and currency != "N/A" else None
        if value is not None:
            self.problems.add(f"{self.where}.{key}", f"expected a price, got {_kind(value)}", WRONG_TYPE)
        return None, None


def iter_objects(value: object, where: str, problems: Problems) -> Iterator[Fields]:
    if value is None:
        return
    if not isinstance(value, list):
        problems.add(where, f"expected a list, got {_kind(value)}", WRONG_TYPE)
        return
    for index, item in enumerate(value):
        if isinstance(item, dict):
            yield Fields(item, f"{where}[{index}]", problems)
        else:
            problems.add(f"{where}[{index}]", f"expected an object, got {_kind(item)}", WRONG_TYPE)


def iter_keyed(value: object, where: str, problems: Problems, key: str) -> Iterator[tuple[str, Fields]]:
    """The objects of a list that name themselves by ``key`` (an id, a region); one without it is dropped
    and reported, since nothing could tell its series apart."""
    for item in iter_objects(value, where, problems):
        name = item.text(key, required=True)
        if name:
            yield name, item
