"""Who we are to OVH, and python-ovh clients whose every request goes through the bounded transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ovh

from otel_ovh.ovh.ovh_internals import route_sessions
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
            route_sessions(client, lambda session: mount(session, adapter))
        return client
