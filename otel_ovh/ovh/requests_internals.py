"""The one private part of ``requests`` otel-ovh uses, with the check that it is still there.

The transport reads an answer's body itself (a chunk at a time, against a size cap and a deadline) and
must hand it to python-ovh as the response's content; ``requests`` has no public way to set the content
of a response it did not read, and re-wrapping the body as a new ``raw`` stream would copy it again.
``missing`` (run by ``tests/unit/test_internals.py``) names what an upgrade moved.
"""

from __future__ import annotations

import requests

LIBRARY = "requests"


def keep_body(response: requests.Response, body: bytes) -> None:
    """``response.content`` (and ``.text``, ``.json()``) is ``body`` from now on; the stream is done."""
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]


def missing() -> list[str]:
    """What this module relies on that the installed ``requests`` no longer does."""
    response = requests.Response()
    keep_body(response, b'{"a": 1}')
    if response.content == b'{"a": 1}' and response.json() == {"a": 1}:
        return []
    return ["a body set as Response._content"]
