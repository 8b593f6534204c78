"""The HTTP session the OTLP/HTTP exporter uses: a configured CA that the environment cannot override.

``requests`` lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override ``Session.verify`` (psf/requests#3829),
so a configured collector CA is silently ignored wherever those variables are set (most container images).
The session also notes what a collector answered when it refused data, for the outage log.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from otel_ovh.export.otlp.diagnosis import NO_ANSWER, capture

_CAUSES = re.compile(
    r"\[SSL: [^\]]+\][^'\"()]*(?:\([^)]*\))?|\[Errno -?\d+\][^'\"()]*|Read timed out[^'\"()]*"
)


def _root_cause(exc: Exception) -> str:
    """The telling part of a requests/urllib3 error ("[Errno 111] Connection refused", "[SSL: ...]")."""
    text = str(exc)
    found = _CAUSES.findall(text)
    return found[-1].strip() if found else f"{type(exc).__name__}: {text}"


class PinnedCaSession(requests.Session):
    """A session whose configured CA (``verify`` set to a path) is not overridden by the environment.

    ``requests`` replaces a session's ``verify`` with ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` when
    those are set; a collector behind a private CA would then fail its handshake for no visible
    reason. Proxies and the rest of the environment still apply.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hooks["response"].append(self._note_refusal)

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        """Note why a request got no answer: with a short timeout the SDK gives up without saying."""
        try:
            return super().request(*args, **kwargs)
        except requests.RequestException as exc:
            capture.note(f"{NO_ANSWER}{_root_cause(exc)}")
            raise

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if isinstance(self.verify, str) and verify in (None, True):
            merged["verify"] = self.verify
        return merged

    @staticmethod
    def _note_refusal(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep what the collector said when it refused a batch: the SDK logs only the reason phrase,
        while the status and the body ("missing tenant", "too many series") are what an operator needs."""
        if response.status_code >= 400:
            body = " ".join(response.text.split())[:200]
            capture.note(f"HTTP {response.status_code} {response.reason}" + (f": {body}" if body else ""))
