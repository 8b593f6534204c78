"""Who we are to OVH, and python-ovh clients whose every request goes through the bounded transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ovh
import ovh.oauth2

from otel_ovh.ovh.transport import BoundedAdapter, mount
from otel_ovh.process import register_ovh_endpoint


@dataclass(frozen=True)
class Credentials:
    """Who we are to OVH: an application key with its secret and consumer key, or an OAuth2 client.

    Secrets are plain text here (python-ovh needs them so) and kept out of reprs."""

    endpoint: str  # a python-ovh endpoint name (ovh-eu, ...) or an API URL
    application_key: str | None = None
    application_secret: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    oauth2_token_url: str | None = None

    @property
    def uses_oauth2(self) -> bool:
        return self.client_id is not None

    def client(self, adapter: BoundedAdapter | None = None, **options: Any) -> ovh.Client:
        """A python-ovh client for these credentials (a URL endpoint registered first); with ``adapter``,
        its API session and its OAuth2 sessions send through it."""
        endpoint = register_ovh_endpoint(
            self.endpoint, oauth2=self.uses_oauth2, token_url=self.oauth2_token_url
        )
        if self.uses_oauth2:
            client = ovh.Client(
                endpoint=endpoint, client_id=self.client_id, client_secret=self.client_secret, **options
            )
        else:
            client = ovh.Client(
                endpoint=endpoint,
                application_key=self.application_key,
                application_secret=self.application_secret,
                consumer_key=self.consumer_key,
                **options,
            )
        if adapter is not None:
            mount(client._session, adapter)
            if client._oauth2 is not None:
                client._oauth2 = _BoundedOAuth2(client._oauth2, adapter)
        return client


class _BoundedOAuth2(ovh.oauth2.OAuth2):  # type: ignore[misc]
    """python-ovh's OAuth2 helper, with the token and API sessions it creates sent through the adapter.

    Its sessions are created inside two properties (the token fetch passes no timeout at all), so the
    adapter can only be mounted by creating them here, as python-ovh does.
    """

    _session: Any
    _token: Any

    def __init__(self, original: ovh.oauth2.OAuth2, adapter: BoundedAdapter) -> None:
        super().__init__(original.client_id, original.client_secret, original.token_url)
        self._adapter = adapter

    def _new_session(self, **kwargs: Any) -> Any:
        session = ovh.oauth2.RefreshOAuth2Session(
            token_url=self.token_url,
            client=ovh.oauth2.BackendApplicationClient(client_id=self.client_id, scope=["all"]),
            **kwargs,
        )
        mount(session, self._adapter)
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
