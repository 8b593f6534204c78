"""OTLP push: one exporter per pipeline, configured like any OpenTelemetry component, quiet in an outage.

Modules: ``settings`` (the ``otlp`` section and the precedence of settings and variables), ``exporter``
(the wrapped SDK exporter), ``batching``, ``delta``, ``diagnosis`` (one reason per outage), ``transport``
(the HTTP session). Import them directly: this package itself loads nothing, so that reading the settings
(``check-config``) does not load the SDK exporters or gRPC.

Settings are resolved in ``settings``, once, with one precedence for every option: a value given in
``otlp.*``, then ``OTEL_EXPORTER_OTLP_METRICS_*``, then ``OTEL_EXPORTER_OTLP_*``, then the OTLP default.
The SDK exporters resolve the variables themselves, but not consistently (the gRPC exporter replaces the
variables' headers with the given ones where the HTTP exporter merges them; both read the timeout in
seconds where the specification says milliseconds; an invalid compression crashes one and is ignored
by the other), so we resolve everything and hand the exporter explicit values.

What else the SDK exporters get wrong for a long-running bridge, handled here:

* **Outages.** The exporters log every failed attempt and every retry, each interval, for as long as the
  collector is away (and gRPC's C core prints each failed TLS handshake to stderr).
  ``OutageLoggingExporter`` captures those messages during its own export call and logs one line when
  an outage starts, with the collector's answer or the connection error, and one when it ends.
* **Size.** A large organisation's inventory is tens of thousands of points in one collection; the
  Collector's gRPC receiver refuses messages over 4 MiB by default, so exports go in batches. Not the SDK
  exporters' ``max_export_batch_size``: the gRPC exporter goes on sending the batches after one fails
  (each waiting out its timeout while the collector is away), and both exporters answer one result for
  the whole export, so the deltas of the batches a collector took cannot be told from those it refused.
* **Delta temporality and observable counters.** Our counters are month-to-date totals observed from a
  snapshot. The SDK's own cumulative-to-delta conversion is computed at collection time, so a failed
  export loses its delta, a new billing period yields a negative delta on a monotonic sum, and a rebuilt
  pipeline starts again from zero and re-sends the whole month. ``DeltaState`` does the conversion
  against what the collector last *accepted*, outlives pipeline rebuilds, and treats a drop as a reset.
  Where a Collector stands in front of the backend, its ``cumulativetodelta`` processor can do this
  instead (``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`` left cumulative); a backend reached
  directly has no such step.
* **TLS over HTTP.** ``requests`` lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override
  ``Session.verify`` (psf/requests#3829), so a configured collector CA is silently ignored wherever
  those variables are set (most container images). ``transport.PinnedCaSession`` makes the configured CA win.

``benchmarks/otlp_claims.py`` checks the reasons above against the installed SDK: run it after an upgrade.
"""

from otel_ovh.process import quiet_grpc

# Before any submodule imports grpc (see otel_ovh.process for why).
quiet_grpc()
