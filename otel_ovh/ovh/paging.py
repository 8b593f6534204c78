"""Lists that OVH answers a page at a time, read whole.

OVH's schema (``cloud.json``) declares two ways a list pages, per route:

- a cursor: the route takes the request header ``X-Pagination-Cursor``; each answer names the next page
  in ``X-Pagination-Cursor-Next`` (absent on the last page), and a request may ask a page size with
  ``X-Pagination-Size``. An unknown cursor is a 400 "invalid cursor". (Kubernetes nodes.)
- ``limit`` and ``marker`` query parameters: a page holds at most ``limit`` items and the next one starts
  from the ``marker`` item. (Gateways: "default and max is 50".)

A list read as one call loses whatever is past its first page, silently. Each helper here is bounded
(``MAX_PAGES``; a cursor that comes back, an empty page, or a page with nothing new ends the listing), and
every page is a call of its own through ``OvhApi``, paced, retried and counted by route like any other.
Stopping at the bound keeps what was read and reports the rest as a problem of the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import Problems

CURSOR = "X-Pagination-Cursor"
CURSOR_NEXT = "X-Pagination-Cursor-Next"
PAGE_SIZE = "X-Pagination-Size"
MAX_PAGES = 1000  # pages of one list within one refresh; past it the rest of the list is not read
MARKER_LIMIT = 50  # the gateways' "default and max"


def cursor_pages(
    api: OvhApi,
    route: str,
    params: Mapping[str, str],
    problems: Problems,
    where: str,
    query: Mapping[str, str] | None = None,
    page_size: int | None = None,
) -> list[Any]:
    """Every item of a cursor-paged list (``X-Pagination-Cursor`` → ``X-Pagination-Cursor-Next``)."""
    items: list[Any] = []
    seen: set[str] = set()
    headers = {PAGE_SIZE: str(page_size)} if page_size else {}
    for _ in range(MAX_PAGES):
        answer = api.answer(route, params, query, headers)
        page = _page(answer.body, problems, where)
        items.extend(page)
        cursor = answer.headers.get(CURSOR_NEXT, "")
        if not page or not cursor:
            return items
        if cursor in seen:
            problems.add(where, "the next-page cursor came back; the listing stops there")
            return items
        seen.add(cursor)
        headers = {**headers, CURSOR: cursor}
    problems.add(where, f"more than {MAX_PAGES} pages; the rest of the list is not read")
    return items


def marker_pages(
    api: OvhApi,
    route: str,
    params: Mapping[str, str],
    problems: Problems,
    where: str,
    key: str = "id",
    limit: int = MARKER_LIMIT,
) -> list[Any]:
    """Every item of a ``limit``/``marker`` list, each once by ``key``: the next page is asked from the
    last item of this one, and whether OVH repeats the marker item or starts after it, the item is kept
    once. A page shorter than ``limit``, or with nothing new, is the last."""
    items: list[Any] = []
    keys: set[str] = set()
    query = {"limit": str(limit)}
    for _ in range(MAX_PAGES):
        page = _page(api.get(route, params, query), problems, where)
        new = [item for item in page if _key(item, key) not in keys]  # an item without a key: the parser's
        keys.update(k for item in new if (k := _key(item, key)))
        items.extend(new)
        last = _key(page[-1], key) if page else ""
        if len(page) < limit or not new or not last:
            return items
        query = {"limit": str(limit), "marker": last}
    problems.add(where, f"more than {MAX_PAGES} pages; the rest of the list is not read")
    return items


def _key(item: object, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


def _page(body: object, problems: Problems, where: str) -> list[Any]:
    if isinstance(body, list):
        return body
    if body is not None:
        problems.add(where, f"a page is {type(body).__name__}, not a list; the listing stops there")
    return []
