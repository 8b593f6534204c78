"""Families' records to JSON and back, by their declared types: the state file's content.

A record is a frozen dataclass (or a tuple of them, or None) whose fields are typed; its family's
module declares ``FAMILY: Family[RecordType]``. Reading goes by those types, field by field, so a file
from another version or edited by hand fails as a whole with one message, never builds a record that
the metrics code would trip on later; and no code runs from the file (no pickle).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import sys
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Union

from otel_ovh.families.base import Family


class RecordError(ValueError):
    """The data does not have the shape the record type declares."""


def encode(value: object) -> object:
    """A record as JSON values: dataclasses as objects of their fields, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list | frozenset | set):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN: "nan", "inf", read back by ``float``
    return value


@cache
def record_type(family: Family[Any]) -> Any:
    """The record type, from ``FAMILY: Family[...]`` in the family's module."""
    module = sys.modules[family.fetch.__module__]
    hint = typing.get_type_hints(module)["FAMILY"]
    return typing.get_args(hint)[0]


def decode(kind: Any, data: object, where: str = "") -> Any:
    """``data`` read as ``kind``; :class:`RecordError` names the first place that does not fit."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is type(None) or kind is None:
        return _expect(data is None, None, where, "null")
    if origin in (Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            return decode(option, data, where)  # records use unions only as "X or None"
    if origin in (tuple, frozenset) and isinstance(data, list):
        if origin is frozenset:
            return frozenset(decode(args[0], item, f"{where}[]") for item in data)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], item, f"{where}[{i}]") for i, item in enumerate(data))
        _expect(len(args) == len(data), None, where, f"{len(args)} items")
        return tuple(
            decode(a, item, f"{where}[{i}]") for i, (a, item) in enumerate(zip(args, data, strict=True))
        )
    if origin in (dict, Mapping) and isinstance(data, dict):
        return {key: decode(args[1], item, f"{where}.{key}") for key, item in data.items()}
    if dataclasses.is_dataclass(kind) and isinstance(data, dict):
        return _dataclass(kind, data, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(data)
        except ValueError:
            raise RecordError(f"{where}: {data!r} is no {kind.__name__}") from None
    return _scalar(kind, data, where)


def _dataclass(kind: Any, data: dict[str, object], where: str) -> Any:
    hints = typing.get_type_hints(kind)
    fields = {f.name: f for f in dataclasses.fields(kind) if f.init}
    unknown = set(data) - set(fields)
    _expect(not unknown, None, where, f"no field {sorted(unknown)[0] if unknown else ''!r}")
    values = {name: decode(hints[name], data[name], f"{where}.{name}") for name in fields if name in data}
    try:
        return kind(**values)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"{where}: {exc}") from None


def _scalar(kind: Any, data: object, where: str) -> Any:
    if kind is float:
        if isinstance(data, str) and data in ("nan", "inf", "-inf"):
            return float(data)
        _expect(isinstance(data, int | float) and not isinstance(data, bool), None, where, "a number")
        return float(typing.cast(float, data))
    if kind in (str, int, bool):
        fits = isinstance(data, kind) and (kind is bool or not isinstance(data, bool))
        return _expect(fits, data, where, kind.__name__)
    if kind is Any or kind is object:
        return data
    raise RecordError(f"{where}: cannot read a {kind!r}")


def _expect(fits: bool, value: object, where: str, wanted: str) -> object:
    if not fits:
        raise RecordError(f"{where or 'record'}: not {wanted}")
    return value
