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

from otel_ovh.config import Settings, SettingsError
from otel_ovh.http.server import MetricsServer
from otel_ovh.ovh_api.client import CallStats, OvhApi
from otel_ovh.snapshot import Refresher, SnapshotStore
from otel_ovh.telemetry import Telemetry
from otel_ovh.web_config import load_web_config

log = logging.getLogger(__name__)


def build_api(settings: Settings, stats: CallStats | None = None) -> OvhApi:
    collect = settings.collect
    return OvhApi(
        settings.ovh,
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
