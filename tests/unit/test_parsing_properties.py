"""Property-based: schema-shaped random answers, and broken ones, never make a parser raise.

Strategies are built from OVH's own models (``tests/data/ovh-cloud-models.json``, extracted from
``cloud.json``): every field with its type and nullability, enums with their values. A second family of
strategies then breaks those answers: drops keys, swaps values for arbitrary JSON of another type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_ovh.families import FAMILIES
from otel_ovh.families.base import Family, Regions, Scope
from otel_ovh.families.forecast import parse_forecast
from otel_ovh.families.instances import parse_flavors, parse_instances
from otel_ovh.families.project import parse_project
from otel_ovh.families.quota import parse_quotas
from otel_ovh.families.storage import parse_s3_buckets, parse_swift_containers
from otel_ovh.families.usage import Usage, parse_usage
from otel_ovh.families.volumes import parse_volumes
from otel_ovh.ovh.client import Answer, ApiError, OvhApi
from otel_ovh.ovh.fields import Problems, encodable
from otel_ovh.simulator import World, WorldShape
from otel_ovh.simulator.errors import ApiError as SimulatedError

MODELS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "ovh-cloud-models.json").read_text()
)["models"]

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)

_DATES = st.sampled_from(
    [
        "2025-10-01T00:00:00+02:00",
        "2025-09-24T17:21:31Z",
        "2025-09-22T14:16:18.558113+02:00",
        "not a date",
        "2025-13-45T99:99:99Z",
        "2025-10-01",
    ]
)
_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "long": st.integers(min_value=-(2**40), max_value=2**40),
    "double": st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    "string": st.text(max_size=12),
    "password": st.text(max_size=12),
    "uuid": st.uuids().map(str),
    "ip": st.ip_addresses().map(str),
    "boolean": st.booleans(),
    "datetime": _DATES,
    "map[string]string": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
}


@cache
def schema_value(type_name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    if type_name.endswith("[]"):
        return st.lists(schema_value(type_name[:-2], depth + 1), max_size=3 if depth < 3 else 1)
    if type_name in _SCALARS:
        return _SCALARS[type_name]
    model = MODELS.get(type_name)
    if model is None:
        return ANY_JSON
    if "enum" in model:
        return st.sampled_from(model["enum"])
    if depth > 6:
        return st.none()
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, prop in model.get("properties", {}).items():
        value = schema_value(prop["type"], depth + 1)
        fields[name] = st.none() | value if prop.get("canBeNull") else value
    return st.fixed_dictionaries({}, optional=fields)  # any key may be absent: older shapes


def broken(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A schema-shaped answer with parts replaced by JSON of any type."""

    def damage(value: Any, data: st.DataObject) -> Any:
        if data.draw(st.integers(0, 5)) == 0:
            return data.draw(ANY_JSON)
        if isinstance(value, dict):
            return {k: damage(v, data) for k, v in value.items()}
        if isinstance(value, list):
            return [damage(v, data) for v in value]
        return value

    return st.tuples(strategy, st.data()).map(lambda pair: damage(pair[0], pair[1]))


PARSERS: dict[str, tuple[str, Callable[[Any, Problems], Any]]] = {
    "usage/current": ("cloud.usage.UsageCurrent", parse_usage),
    "usage/forecast": ("cloud.usage.UsageForecast", parse_forecast),
    "quota": ("cloud.quota.Quotas[]", parse_quotas),
    "instance": ("cloud.instance.Instance[]", parse_instances),
    "flavor": ("cloud.flavor.Flavor[]", parse_flavors),
    "volume": ("cloud.volume.Volume[]", parse_volumes),
    "storage": ("cloud.storage.Container[]", parse_swift_containers),
    "region storage": ("cloud.StorageContainerList[]", lambda body, p: parse_s3_buckets(body, p, "GRA")),
    "project": ("cloud.ProjectWithIAM", lambda body, p: parse_project(body, p, "0" * 32)),
}


def _check(result: Any) -> None:
    """Whatever comes out is made of finite numbers: no NaN reaches a metric."""
    if isinstance(result, Usage):
        numbers = (
            [c.price for c in result.charges]
            + [c.value for c in result.consumption]
            + [t.bytes for t in result.transfers]
        )
        assert all(math.isfinite(n) for n in numbers)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_schema_shaped_answers_never_raise(data: st.DataObject) -> None:
    for model, parser in PARSERS.values():
        body = data.draw(schema_value(model))
        _check(parser(body, Problems()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_broken_answers_never_raise(data: st.DataObject) -> None:
    for model, parser in PARSERS.values():
        body = data.draw(broken(schema_value(model)))
        _check(parser(body, Problems()))


@settings(max_examples=100, deadline=None)
@given(body=ANY_JSON)
def test_arbitrary_json_never_raises(body: Any) -> None:
    for _, parser in PARSERS.values():
        _check(parser(body, Problems()))


def test_amounts_that_overflow_are_dropped() -> None:
    line = {
        "reference": "b3-8",
        "region": "GRA11",
        "totalPrice": 1e308,
        "details": [{"instanceId": "a", "totalPrice": 1e308}, {"instanceId": "a", "totalPrice": 1e308}],
    }
    problems = Problems()
    usage = parse_usage({"hourlyUsage": {"instance": [line]}}, problems)
    assert all(math.isfinite(c.price) for c in usage.charges)
    assert any("not a finite number" in message for message in problems.messages)


def test_the_models_cover_every_parser() -> None:
    for model, _ in PARSERS.values():
        assert model.removesuffix("[]") in MODELS


# -- every family, end to end: OVH's answers (the simulator's) with any value turned into hostile JSON --


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# What json.loads accepts and Python mishandles: unpaired surrogates, integers no float holds, NaN and
# infinities, negative numbers, nesting deeper than any schema.
HOSTILE_JSON = (
    ANY_JSON
    | st.sampled_from(["\ud800", "a\udfffb", "\udbff\udc00", ""])
    | st.integers(min_value=10**300, max_value=10**400).flatmap(lambda n: st.sampled_from([n, -n]))
    | st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1.0, -(2**70)])
    | st.integers(1, 300).map(_nested)
)
WORLD = World(seed=5, shape=WorldShape(projects=1), clock=lambda: 1_790_000_000.0)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value: the value itself, each key's value, each item."""
    yield path
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        yield from _paths(child, (*path, key))


def hostile(value: Any, data: st.DataObject) -> Any:
    """``value`` with a few of its places (anywhere: a field, an item, the whole) made hostile."""
    paths = list(_paths(value))
    for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=8)):
        if not path:
            return data.draw(HOSTILE_JSON)
        parent = value
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = data.draw(HOSTILE_JSON)
        except (KeyError, IndexError, TypeError):  # an earlier replacement took that place away
            continue
    return value


class HostileApi:
    """``OvhApi.get`` answered from the simulated world, every answer damaged as the test draws."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def get(self, route: str, path_params: Any = None, query: Any = None, need_auth: bool = True) -> Any:
        path = route.format(**path_params) if path_params else route
        try:
            body = WORLD.body(path, dict(query) if query else None)
        except SimulatedError as error:
            raise ApiError(route, error.status, "simulated") from None
        return hostile(body, self.data)

    def answer(self, route: str, path_params: Any = None, query: Any = None, headers: Any = None) -> Answer:
        """A page, whose next-page cursor is none, a new one, or one already given (which must end it)."""
        cursor = self.data.draw(st.sampled_from(["", "next", "again"]))
        if cursor == "next":
            cursor = f"c{len(headers or {})}-{self.data.draw(st.integers(0, 3))}"
        return Answer(self.get(route, path_params, query), {"X-Pagination-Cursor-Next": cursor})


def _servable(points: Any, where: str) -> None:
    for attributes, value in points:
        assert isinstance(value, int | float) and math.isfinite(value), (where, value)
        assert not isinstance(value, int) or abs(value) < 2**63, (where, value)
        for key, text in attributes.items():
            assert not isinstance(text, str) or encodable(text), (where, key, text)


@pytest.mark.parametrize("family", FAMILIES, ids=[family.name for family in FAMILIES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_json_anywhere_never_raises_nor_reaches_a_metric(
    family: Family[Any], data: st.DataObject
) -> None:
    """A family's fetch reads every answer through its parsers; whatever they hold, the fetch ends with a
    record (or an ``ApiError`` for a call that failed), and no point of it is non-finite or unencodable."""
    problems = Problems()
    try:
        api = cast(OvhApi, HostileApi(data))
        record = family.fetch(api, Scope(WORLD.project_ids[0], problems, lambda region: True))
    except ApiError:
        return
    record = family.narrow(record, Regions(lambda region: True, frozenset(family.regions_in_use(record))))
    for metric in family.metrics:
        _servable(metric.points(record), f"{family.name}: {metric.name}")
    for column in family.columns:
        column.cell(record)
    name = family.project_name(record)  # a label of every series of the project
    assert name is None or encodable(name)
