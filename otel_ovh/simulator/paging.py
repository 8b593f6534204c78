"""Lists the API answers a page at a time, as ``cloud.json`` declares them per route.

- Cursor (``kube/{kubeId}/nodepool/{nodePoolId}/nodes``): the route takes the request header
  ``X-Pagination-Cursor``; each page names the next in the answer header ``X-Pagination-Cursor-Next``,
  absent on the last page. ``X-Pagination-Size`` asks a page size. A cursor the API did not give for
  this list is a 400 "invalid cursor".
- ``limit``/``marker`` (``region/{r}/gateway``): "Gateway listing limit (default and max is 50)",
  "Gateway to start listing from"; the page starts after the marker item, as OpenStack's markers do.

The world renders the whole list; this module cuts the page out of it, so every other part of the
simulator keeps answering whole lists.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from otel_ovh.simulator.errors import ApiError
from otel_ovh.simulator.routes import P

CURSOR_ROUTES = frozenset({f"{P}/kube/{{kubeId}}/nodepool/{{nodePoolId}}/nodes"})
MARKER_ROUTES = {f"{P}/region/{{regionName}}/gateway": 50}  # route -> its default and max limit
MARKER_QUERY = ("limit", "marker")
DEFAULT_PAGE_SIZE = 100  # OVH does not document its own; the tests ask a small one
MAX_PAGE_SIZE = 1000


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"class": "Client::BadRequest", "message": message})


def whole_list_query(template: str, query: dict[str, str]) -> dict[str, str]:
    """The query the world renders: without the paging parameters, which only cut the list."""
    if template in MARKER_ROUTES:
        return {key: value for key, value in query.items() if key not in MARKER_QUERY}
    return query


def page(
    template: str, target: str, query: dict[str, str], headers: dict[str, str], body: bytes, size: int
) -> tuple[bytes, dict[str, str]]:
    """The page of ``body`` (the whole list) this request asks, and the answer headers naming the next."""
    if template in CURSOR_ROUTES:
        return _cursor_page(target, headers, body, size)
    if template in MARKER_ROUTES:
        return _marker_page(query, body, MARKER_ROUTES[template]), {}
    return body, {}


def _token(target: str, offset: int) -> str:
    tag = hashlib.sha256(target.encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{offset}:{tag}".encode()).decode().rstrip("=")


def _offset(target: str, cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset = int(text.split(":", 1)[0])
    except (ValueError, UnicodeDecodeError):
        raise bad_request("invalid cursor") from None
    if offset < 0 or _token(target, offset) != cursor:
        raise bad_request("invalid cursor")
    return offset


def _cursor_page(
    target: str, headers: dict[str, str], body: bytes, size: int
) -> tuple[bytes, dict[str, str]]:
    asked = headers.get("x-pagination-size")
    if asked is not None:
        if not asked.isdigit() or not 0 < int(asked) <= MAX_PAGE_SIZE:
            raise bad_request(f"invalid page size {asked[:20]!r}")
        size = int(asked)
    items: list[Any] = json.loads(body)
    cursor = headers.get("x-pagination-cursor")
    # the cursor is bound to the request target: the path and the query (history or not)
    start = _offset(target, cursor) if cursor else 0
    chunk = items[start : start + size]
    answer = {"X-Pagination-Cursor-Next": _token(target, start + size)} if start + size < len(items) else {}
    return json.dumps(chunk, separators=(",", ":")).encode(), answer


def _marker_page(query: dict[str, str], body: bytes, most: int) -> bytes:
    limit_text = query.get("limit", str(most))
    if not limit_text.isdigit() or int(limit_text) < 1:
        raise bad_request(f"invalid limit {limit_text[:20]!r}")
    limit = min(int(limit_text), most)
    items: list[dict[str, Any]] = json.loads(body)
    start = 0
    if "marker" in query:
        ids = [item.get("id") for item in items]
        if query["marker"] not in ids:
            raise bad_request(f"marker {query['marker'][:40]!r} not found")
        start = ids.index(query["marker"]) + 1
    return json.dumps(items[start : start + limit], separators=(",", ":")).encode()
