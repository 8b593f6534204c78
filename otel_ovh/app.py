"""Assembly: settings → OVH access → refresher → snapshot store → telemetry → HTTP server.

Kept apart from the CLI so that tests and the benchmark run exactly what ``otel-ovh serve`` runs.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from otel_ovh.config import OvhSettings, Settings, SettingsError
from otel_ovh.http.server import MetricsServer
from otel_ovh.ovh_api.client import CallStats, Credentials, OvhApi
from otel_ovh.refresher import Refresher
from otel_ovh.snapshot import SnapshotStore
from otel_ovh.telemetry import Telemetry
from otel_ovh.web_config import load_web_config

log = logging.getLogger(__name__)


def credentials(ovh: OvhSettings) -> Credentials:
    """The transport's plain values, from the settings (where secrets are masked ``Secret`` objects)."""
    return Credentials(
        endpoint=ovh.endpoint,
        application_key=ovh.application_key,
        application_secret=ovh.application_secret.reveal() if ovh.application_secret else None,
        consumer_key=ovh.consumer_key.reveal() if ovh.consumer_key else None,
        client_id=ovh.client_id,
        client_secret=ovh.client_secret.reveal() if ovh.client_secret else None,
        oauth2_token_url=ovh.oauth2_token_url,
    )


def build_api(settings: Settings, stats: CallStats | None = None) -> OvhApi:
    collect = settings.collect
    return OvhApi(
        credentials(settings.ovh),
        timeout=collect.timeout,
        retries=collect.retries,
        calls_per_second=collect.max_calls_per_second,
        stats=stats,
    )


@dataclass
class Exporter:
    settings: Settings
    api: OvhApi
    store: SnapshotStore
    refresher: Refresher
    telemetry: Telemetry
    server: MetricsServer | None = None

    @classmethod
    def build(
        cls, settings: Settings, *, serve: bool = True, clock: Callable[[], float] = time.time
    ) -> Exporter:
        """Everything ``serve`` runs; ``clock`` lets tests move time (staleness, churn over a month)."""
        stats = CallStats()
        api = build_api(settings, stats)
        store = SnapshotStore()
        refresher = Refresher(settings, api, store, clock=clock)
        telemetry = Telemetry(settings, store, stats, clock=clock)
        server = None
        # Push-only deployments keep the server for /healthz and /readyz (a sidecar needs its probes);
        # /metrics then answers 404.
        if serve and (settings.prometheus.enabled or settings.otlp.enabled):
            web_config = (
                load_web_config(settings.prometheus.web_config_file)
                if settings.prometheus.web_config_file
                else None
            )
            try:
                server = MetricsServer(
                    settings.prometheus.host,
                    settings.prometheus.port,
                    telemetry.render if settings.prometheus.enabled else None,
                    healthy=lambda: refresher.alive,
                    ready=refresher.first_refresh_done.is_set,
                    web_config=web_config,
                )
            except OSError as exc:
                telemetry.shutdown()
                where = f"{settings.prometheus.host}:{settings.prometheus.port}"
                if exc.errno == errno.EADDRINUSE:
                    raise SettingsError("prometheus.port", f"{where} is already in use") from None
                raise SettingsError("prometheus.host", f"cannot listen on {where}: {exc.strerror}") from None
        return cls(settings, api, store, refresher, telemetry, server)

    def start(self) -> None:
        if self.server is not None:
            self.server.start()
            what = (
                "metrics on %s/metrics" if self.settings.prometheus.enabled else "health probes on %s/healthz"
            )
            log.info("serving " + what, self.server.url)
            if self.settings.prometheus.enabled:
                self.telemetry.keep_self_rendered()
        self.refresher.start()

    def wait(self, stop: threading.Event) -> None:
        stop.wait()

    def stop(self) -> None:
        self.refresher.stop()
        if self.server is not None:
            self.server.stop()
        self.telemetry.shutdown()


def serve(settings: Settings, stop: threading.Event) -> None:
    """``otel-ovh serve``: run until ``stop`` is set (the CLI sets it on SIGINT or SIGTERM)."""
    from otel_ovh import __version__
    from otel_ovh.process import tune_for_serving

    exporter = Exporter.build(settings)
    tune_for_serving()
    exporter.telemetry.memory.announce()
    exporter.start()
    otlp = settings.otlp_resolved
    readers = [
        name
        for name, on in (
            ("Prometheus", settings.prometheus.enabled),
            (f"OTLP {otlp.protocol} to {otlp.endpoint}" if otlp else "OTLP", settings.otlp.enabled),
        )
        if on
    ]
    log.info(
        "otel-ovh %s started (%s), refreshing every %.0fs",
        __version__,
        " and ".join(readers) or "no reader",
        settings.collect.interval,
    )
    exporter.wait(stop)
    log.info("stopping")
    exporter.stop()
