"""The paging helpers end on every way a list can end or go wrong, and keep each item once."""

from __future__ import annotations

from typing import Any

import pytest

from otel_ovh.ovh import paging
from otel_ovh.ovh.client import Answer
from otel_ovh.ovh.fields import Problems


class _Cursors:
    """Pages of a cursor-paged list; ``next_of`` names the cursor each page answers with."""

    def __init__(self, pages: list[Any], next_of: list[str]) -> None:
        self.pages, self.next_of = pages, next_of
        self.asked: list[dict[str, str]] = []

    def answer(self, route: str, params: Any, query: Any, headers: Any) -> Answer:
        self.asked.append(dict(headers))
        index = len(self.asked) - 1
        return Answer(self.pages[index], {paging.CURSOR_NEXT: self.next_of[index]})


def test_cursor_pages_follow_the_next_cursor_to_the_end() -> None:
    api = _Cursors([[1, 2], [3, 4], [5]], ["a", "b", ""])
    problems = Problems()
    assert paging.cursor_pages(api, "r", {}, problems, "w", page_size=2) == [1, 2, 3, 4, 5]  # type: ignore[arg-type]
    assert api.asked == [
        {paging.PAGE_SIZE: "2"},
        {paging.PAGE_SIZE: "2", paging.CURSOR: "a"},
        {paging.PAGE_SIZE: "2", paging.CURSOR: "b"},
    ]
    assert not problems


def test_a_cursor_that_comes_back_or_an_empty_page_ends_the_list() -> None:
    problems = Problems()
    api = _Cursors([[1], [2], [3]], ["a", "a", "a"])
    assert paging.cursor_pages(api, "r", {}, problems, "w") == [1, 2]  # type: ignore[arg-type]
    assert len(problems.messages) == 1 and len(api.asked) == 2
    api = _Cursors([[1], [], [3]], ["a", "b", ""])
    assert paging.cursor_pages(api, "r", {}, Problems(), "w") == [1]  # type: ignore[arg-type]


def test_a_list_past_the_page_limit_is_cut_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "MAX_PAGES", 3)
    problems = Problems()
    api = _Cursors([[n] for n in range(10)], [f"c{n}" for n in range(10)])
    assert paging.cursor_pages(api, "r", {}, problems, "w") == [0, 1, 2]  # type: ignore[arg-type]
    assert "more than 3 pages" in problems.messages[0]


class _Markers:
    """120 items by id; ``inclusive``: a page starts at the marker item, else after it."""

    def __init__(self, inclusive: bool) -> None:
        self.items = [{"id": f"g{n:03}"} for n in range(120)]
        self.inclusive = inclusive
        self.asked: list[dict[str, str]] = []

    def get(self, route: str, params: Any, query: dict[str, str]) -> list[dict[str, str]]:
        self.asked.append(dict(query))
        ids = [item["id"] for item in self.items]
        start = 0
        if "marker" in query:
            start = ids.index(query["marker"]) + (0 if self.inclusive else 1)
        return self.items[start : start + int(query["limit"])]


@pytest.mark.parametrize(("inclusive", "calls"), [(False, 3), (True, 3)])
def test_marker_pages_keep_each_item_once_whatever_the_marker_means(inclusive: bool, calls: int) -> None:
    api = _Markers(inclusive)
    found = paging.marker_pages(api, "r", {}, Problems(), "w")  # type: ignore[arg-type]
    assert [item["id"] for item in found] == [item["id"] for item in api.items]
    assert len(api.asked) == calls and api.asked[1] == {"limit": "50", "marker": "g049"}
