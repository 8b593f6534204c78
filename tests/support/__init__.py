"""Real-server test harness for otel-ovh's end-to-end tests.

The end-to-end tests check the bridge against the real consumers of its output (a Prometheus
server, an OTLP receiver, the rotel collector) rather than against mocks, because the failures that
matter (a name Prometheus rejects, a header a collector refuses, a TLS setting that does not verify)
only show up at the wire. Every helper here starts a real process or server on 127.0.0.1, fails
loudly when it cannot (a test that cannot start its peer must fail, never skip) and cleans up. Each
takes a free port and a temporary directory of its own, so that several pytest-xdist workers can run
the suite at once (``parallel.py``).
"""
