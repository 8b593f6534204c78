"""Scrapes that ask for gzip get the cached compressed page; the data is the same either way."""

from __future__ import annotations

import gzip
import urllib.request

import pytest

from tests.integration.conftest import ExporterFactory, series


def _get(url: str, encoding: str | None) -> tuple[bytes, str | None]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read()), response.headers.get("Content-Encoding")


@pytest.mark.parametrize("encoding", ["gzip", "deflate, gzip;q=0.8", "identity", None, "gzip;q=0"])
def test_gzip_when_asked_and_identical_series(make_exporter: ExporterFactory, encoding: str | None) -> None:
    exporter = make_exporter(prometheus={"port": 0})
    exporter.refresher.refresh_once()
    assert exporter.server is None  # make_exporter builds no server: start one on the same telemetry
    from otel_ovh.serve.server import MetricsServer

    server = MetricsServer(
        "127.0.0.1", 0, exporter.telemetry.render, healthy=lambda: True, ready=lambda: True
    )
    server.start()
    try:
        body, content_encoding = _get(f"{server.url}/metrics", encoding)
        plain, _ = _get(f"{server.url}/metrics", None)
    finally:
        server.stop()
    wants_gzip = encoding is not None and "gzip" in encoding and "q=0" not in encoding.replace("q=0.8", "")
    assert content_encoding == ("gzip" if wants_gzip else None)
    text = gzip.decompress(body) if wants_gzip else body  # two gzip members decode as one stream
    if wants_gzip:
        assert len(body) < len(text) / 4
    ovh = sorted(line for line in series(text) if line.startswith("ovh_cloud_"))
    assert ovh == sorted(line for line in series(plain) if line.startswith("ovh_cloud_"))
    assert any(line.startswith("otel_ovh_api_requests_total") for line in series(text))  # the self metrics
