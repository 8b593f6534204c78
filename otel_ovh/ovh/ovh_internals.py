"""Every use of python-ovh's private parts, in one place, with the check that they are still there.

python-ovh gives no way to choose the HTTP session its client sends through, nor the sessions its OAuth2
helper creates, nor to tell whether the client has fetched its clock offset yet (the public ``time_delta``
fetches it when it has not, outside our pacing and deadlines). So this module reaches into its client
(``_session``, ``_oauth2``, ``_time_delta``) and its OAuth2 helper (``_session``, ``_token``, the session
class it builds). ``pyproject.toml`` pins python-ovh below its next minor version, and ``missing``
(run by ``tests/unit/test_internals.py``) names whatever an upgrade moved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ovh
import ovh.oauth2
import requests

LIBRARY = "ovh"

Prepare = Callable[[requests.Session], None]


def route_sessions(client: ovh.Client, prepare: Prepare) -> None:
    """Hand ``prepare`` the client's API session, and every session its OAuth2 helper creates."""
    prepare(client._session)
    if client._oauth2 is not None:
        client._oauth2 = _PreparedOAuth2(client._oauth2, prepare)


def clock_offset(client: ovh.Client) -> int | None:
    """The offset the client signs with, None while it has not fetched it (no call is made here)."""
    offset: int | None = client._time_delta
    return offset


def set_clock_offset(client: ovh.Client, offset: int) -> None:
    """Sign with ``offset`` (server time minus local time) instead of fetching it."""
    client._time_delta = offset


class _PreparedOAuth2(ovh.oauth2.OAuth2):  # type: ignore[misc]
    """python-ovh's OAuth2 helper, with the token and API sessions it creates prepared like the client's.

    Its sessions are created inside two properties (the token fetch passes no timeout at all), so they can
    only be prepared by creating them here, as python-ovh does.
    """

    _session: Any
    _token: Any

    def __init__(self, original: ovh.oauth2.OAuth2, prepare: Prepare) -> None:
        super().__init__(original.client_id, original.client_secret, original.token_url)
        self._prepare = prepare

    def _new_session(self, **kwargs: Any) -> Any:
        session = ovh.oauth2.RefreshOAuth2Session(
            token_url=self.token_url,
            client=ovh.oauth2.BackendApplicationClient(client_id=self.client_id, scope=["all"]),
            **kwargs,
        )
        self._prepare(session)
        return session

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = self._new_session(
                token=self.token,
                token_updater=self.token_updater,
                auto_refresh_kwargs={"client_id": self.client_id, "client_secret": self.client_secret},
            )
        return self._session

    @property
    def token(self) -> Any:
        if self._token is None:
            self._token = self._new_session().fetch_token(
                token_url=self.token_url, client_id=self.client_id, client_secret=self.client_secret
            )
        return self._token


def missing() -> list[str]:
    """What this module relies on that the installed python-ovh no longer has."""
    keys = {"application_key": "k", "application_secret": "s", "consumer_key": "c"}
    client = ovh.Client(endpoint="ovh-eu", **keys)
    oauth2 = ovh.Client(endpoint="ovh-eu", client_id="id", client_secret="secret")._oauth2
    expected: list[tuple[str, bool]] = [
        ("Client._session (a Session)", isinstance(getattr(client, "_session", None), requests.Session)),
        ("Client._time_delta (None until fetched)", getattr(client, "_time_delta", 0) is None),
        ("Client._oauth2 (None without OAuth2)", getattr(client, "_oauth2", 0) is None),
        ("Client._oauth2 (an oauth2.OAuth2 with OAuth2)", isinstance(oauth2, ovh.oauth2.OAuth2)),
    ]
    if isinstance(oauth2, ovh.oauth2.OAuth2):
        for name in ("_session", "_token", "client_id", "client_secret", "token_url", "token_updater"):
            expected.append((f"oauth2.OAuth2.{name}", hasattr(oauth2, name)))
    for name in ("RefreshOAuth2Session", "BackendApplicationClient"):
        expected.append((f"ovh.oauth2.{name}", hasattr(ovh.oauth2, name)))
    return [what for what, present in expected if not present]
