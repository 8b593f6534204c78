"""The credits family's parsing, against ``cloud.Credit`` and what OVH may send instead."""

from __future__ import annotations

from datetime import UTC, datetime

from otel_ovh.families.credits import FAMILY, parse_credit, parse_credit_ids
from otel_ovh.ovh.fields import Problems
from tests.unit.reference_bodies import price

CREDIT = {
    "id": 4211,
    "description": "Public Cloud voucher",
    "voucher": "PCV-123",
    "bill": None,
    "products": ["publicCloudProject"],
    "total_credit": price(200.0),
    "used_credit": price(58.5),
    "available_credit": price(141.5),
    "validity": {"from": "2026-06-01T00:00:00+02:00", "to": "2027-05-31T23:59:59+02:00"},
}


def _points(body: object) -> dict[str, list[tuple[dict[str, str | int], float]]]:
    credit = parse_credit(body, Problems(), "4211")
    return {metric.name: list(metric.points((credit,))) for metric in FAMILY.metrics}


def test_a_credit_gives_what_is_left_what_was_granted_and_its_end() -> None:
    problems = Problems()
    credit = parse_credit(CREDIT, problems, "4211")
    assert not problems, problems.messages
    assert (credit.available, credit.granted, credit.currency) == (141.5, 200.0, "EUR")
    assert credit.expires == datetime(2027, 5, 31, 21, 59, 59, tzinfo=UTC).timestamp()
    points = _points(CREDIT)
    assert points["ovh.cloud.credit.available"] == [({"ovh.credit.id": "4211", "ovh.currency": "EUR"}, 141.5)]
    assert points["ovh.cloud.credit.expiry_timestamp"] == [({"ovh.credit.id": "4211"}, credit.expires)]


def test_nulls_drop_only_their_value() -> None:
    no_end = {**CREDIT, "validity": {"from": None, "to": None}, "description": None}
    assert _points(no_end)["ovh.cloud.credit.expiry_timestamp"] == []
    assert _points({**CREDIT, "validity": None})["ovh.cloud.credit.available"][0][1] == 141.5
    only_micro = {**CREDIT, "available_credit": {"currencyCode": "EUR", "priceInUcents": 250_000_000}}
    assert _points(only_micro)["ovh.cloud.credit.available"][0][1] == 2.5


def test_wrong_types_are_reported_and_dropped_alone() -> None:
    problems = Problems()
    credit = parse_credit({**CREDIT, "total_credit": "200", "validity": {"to": "soon"}}, problems, "4211")
    assert credit.granted is None and credit.expires is None and credit.available == 141.5
    assert len(problems.messages) == 2
    assert parse_credit([1, 2], Problems(), "9").available is None  # not an object: nothing, no exception


def test_ids_are_whole_numbers_and_anything_else_is_dropped() -> None:
    problems = Problems()
    assert parse_credit_ids([12, 13, True, "14", 1.5, None], problems) == ["12", "13"]
    assert problems and parse_credit_ids([], Problems()) == []
    assert parse_credit_ids({"ids": [1]}, Problems()) == []
