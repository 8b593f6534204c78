"""Assembly: settings → OVH access → refresher → snapshot store → telemetry → HTTP server.

Kept apart from the CLI so that tests and the benchmark run exactly what ``otel-ovh serve`` runs. A reload
(SIGHUP) is assembly too: the parts that depend on changed settings are built anew and swapped in, while
the snapshot store, and so the data served, stays.
"""

from __future__ import annotations

import errno
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from otel_ovh.collect.refresher import Refresher
from otel_ovh.collect.snapshot import SnapshotStore
from otel_ovh.export.telemetry import Telemetry
from otel_ovh.ovh.client import CallStats, Credentials, OvhApi
from otel_ovh.serve.health import State, not_ready
from otel_ovh.serve.server import MetricsServer
from otel_ovh.serve.supervisor import Supervisor
from otel_ovh.settings.config import OvhSettings, Settings, SettingsError
from otel_ovh.settings.web_config import WebConfig, load_web_config

log = logging.getLogger(__name__)

STOP_BUDGET = 3.0  # seconds from a stop signal to the end of the final OTLP push, whatever it waits for
STOP_DEADLINE = 4.0  # seconds from a stop signal to exit, come what may (Kubernetes waits 30, we promise 5)
# Settings a running server cannot take: they would mean listening anew. A reload keeps the running values.
RESTART_KEYS = ("prometheus.enabled", "prometheus.host", "prometheus.port")


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
        max_answer_bytes=collect.max_answer_bytes,
        stats=stats,
    )


def _web_config(settings: Settings) -> WebConfig | None:
    path = settings.prometheus.web_config_file
    return load_web_config(path) if path else None


def _telemetry_inputs(settings: Settings) -> tuple[Any, ...]:
    """What the pipelines are built from: when none of it changes, a reload keeps them (and their state)."""
    return (
        settings.collect.families,
        settings.telemetry,
        settings.otlp,
        settings.otlp_resolved,
        settings.prometheus.enabled,
        settings.resource_attributes,
    )


def _setting(settings: Settings, key: str) -> Any:
    value: Any = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value


def needing_restart(old: Settings, new: Settings) -> list[str]:
    return [key for key in RESTART_KEYS if _setting(old, key) != _setting(new, key)]


def _keeping(new: Settings, running: Settings, keys: list[str]) -> Settings:
    """``new`` with the running values of ``keys`` (``section.name`` each)."""
    sections: dict[str, dict[str, Any]] = {}
    for key in keys:
        section, name = key.split(".")
        sections.setdefault(section, {})[name] = _setting(running, key)
    return replace(new, **{name: replace(getattr(new, name), **kept) for name, kept in sections.items()})


@dataclass
class Exporter:
    settings: Settings
    api: OvhApi
    store: SnapshotStore
    refresher: Refresher
    telemetry: Telemetry
    server: MetricsServer | None = None
    clock: Callable[[], float] = field(default=time.time, repr=False)
    started: bool = field(default=False, repr=False)
    _serving_http: bool = field(default=False, repr=False)
    supervisor: Supervisor = field(default_factory=Supervisor, repr=False)  # runs our loops

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
        exporter = cls(settings, api, store, refresher, telemetry, clock=clock)
        # Push-only deployments keep the server for /healthz and /readyz (a sidecar needs its probes);
        # /metrics then answers 404.
        if serve and (settings.prometheus.enabled or settings.otlp.enabled):
            try:
                exporter.server = exporter._build_server(_web_config(settings))
            except (OSError, SettingsError):
                telemetry.shutdown()
                raise
        return exporter

    def _build_server(self, web_config: WebConfig | None) -> MetricsServer:
        """The server asks this object, not the parts, so that a reload's new parts answer at once."""
        prometheus = self.settings.prometheus
        try:
            return MetricsServer(
                prometheus.host,
                prometheus.port,
                self._render if prometheus.enabled else None,
                healthy=self._healthy,
                ready=self._ready,
                web_config=web_config,
                projects=lambda: self.store.current.projects,  # read per request: snapshots are swapped
                select=self._select if prometheus.enabled else None,
            )
        except OSError as exc:
            where = f"{prometheus.host}:{prometheus.port}"
            if exc.errno == errno.EADDRINUSE:
                raise SettingsError("prometheus.port", f"{where} is already in use") from None
            raise SettingsError("prometheus.host", f"cannot listen on {where}: {exc.strerror}") from None

    # What the server asks, of whichever parts run now.
    def _render(self, compress: bool) -> tuple[bytes, ...]:
        return self.telemetry.answer(compress)

    def _select(self, project_id: str) -> tuple[bytes, ...]:
        return self.telemetry.select(project_id)

    def _healthy(self) -> str | None:
        return self.supervisor.health()

    def _otlp_trouble(self) -> str | None:
        return self.telemetry.reader_trouble()

    def _ready(self) -> str | None:
        refresher, telemetry = self.refresher, self.telemetry
        served, current = telemetry.served, self.store.current
        return not_ready(
            State(refresher.refreshes, served, current, refresher.discovery_error, telemetry.render_error)
        )

    def serve_http(self) -> None:
        """The HTTP server's loop, under the supervisor; a second call changes nothing."""
        if self.server is not None and not self._serving_http:
            self._serving_http = True
            self.supervisor.start("HTTP server", self.server.serve)

    def start(self) -> None:
        self.refresher.warm_start()  # the last data written (state.path), served before the first scrape
        if self.server is not None:
            self.serve_http()
            what = (
                "metrics on %s/metrics" if self.settings.prometheus.enabled else "health probes on %s/healthz"
            )
            log.info("serving " + what, self.server.url)
            if self.settings.prometheus.enabled:
                self.supervisor.start("self-metrics", self.telemetry.keep_self_rendered)
        self.supervisor.start("refresher", self.refresher.run)
        self.supervisor.watch("OTLP export", self._otlp_trouble)
        self.started = True

    def reload(self, settings: Settings) -> None:
        """Run with ``settings`` from now on; the data served stays until the new refresh replaces it.

        Every new part is built before anything is swapped, so settings that fail (a web config that does
        not load, a collector certificate that does not read) raise and leave the running parts as they
        were. The old refresher is stopped before the new one starts: its calls in flight are abandoned,
        and nothing it still receives is published.
        """
        restart = needing_restart(self.settings, settings)
        if restart:
            log.warning("%s changed: that takes a restart; keeping the running value(s)", ", ".join(restart))
            settings = _keeping(settings, self.settings, restart)
        web_config = _web_config(settings) if self.server is not None else None
        api = build_api(settings, self.api.stats)
        # One pacer for the process: the old refresher's calls still in flight and the new one's share
        # the ceiling, and a pause OVH asked for (429) outlives the reload.
        api.pacer = self.api.pacer
        refresher = Refresher(settings, api, self.store, clock=self.clock)
        telemetry = self.telemetry
        if _telemetry_inputs(settings) != _telemetry_inputs(self.settings):
            telemetry = Telemetry(settings, self.store, self.api.stats, self.clock, replacing=telemetry)
        try:
            if self.server is not None:
                self.server.use_web_config(web_config)
        except OSError as exc:  # ssl.SSLError included: a certificate or key that does not load
            if telemetry is not self.telemetry:
                telemetry.shutdown()
            reason = exc.strerror or str(exc)
            raise SettingsError("prometheus.web_config_file", f"TLS does not load: {reason}") from None
        api.pacer.set_rate(settings.collect.max_calls_per_second)
        self._swap(settings, api, refresher, telemetry)

    def _swap(self, settings: Settings, api: OvhApi, refresher: Refresher, telemetry: Telemetry) -> None:
        """The new telemetry is rendered and serving before the old one is retired: a scrape in between
        gets the old, whole, never a telemetry being shut down (its self metrics gone)."""
        old_refresher, old_telemetry = self.refresher, self.telemetry
        self.supervisor.retire("refresher")  # its loop ends now, as asked: no death to restart
        old_refresher.stop()
        refresher.take_over(old_refresher)
        if telemetry is not old_telemetry:
            telemetry.render_inventory()  # the served data in the new pipelines, before a scrape asks
        self.settings, self.api, self.refresher, self.telemetry = settings, api, refresher, telemetry
        if telemetry is not old_telemetry:
            self.supervisor.retire("self-metrics")
            if self.started and self.server is not None and settings.prometheus.enabled:
                self.supervisor.start("self-metrics", telemetry.keep_self_rendered)
            # Its last OTLP push, which the new pipelines' deltas continue: theirs comes an export
            # interval later, so the two do not convert against the same state at once.
            old_telemetry.shutdown(timeout=STOP_BUDGET)
        if self.started:  # an exporter built but not started (tests) stays so
            self.supervisor.start("refresher", refresher.run)

    def stop(self, budget: float = STOP_BUDGET) -> None:
        """Within ``budget`` seconds: OVH calls in flight are abandoned, the final OTLP push is cut short."""
        deadline = time.monotonic() + budget
        self.supervisor.stop()
        self.refresher.stop()
        self.supervisor.join("refresher", timeout=min(1.0, budget / 3))
        if self.server is not None:
            self.server.stop()
        self.telemetry.shutdown(timeout=max(0.1, deadline - time.monotonic()))


class Signals:
    """What the signals asked for, acted on by the serving loop in the main thread.

    SIGTERM and SIGINT stop (exit 0), within ``STOP_DEADLINE`` whatever the stop waits for; a second one
    leaves at once. SIGHUP reloads the settings. The handlers only set flags: a handler runs in the main
    thread between two steps of whatever it was doing, and taking a lock there (an ``Event``, starting a
    thread) can deadlock on a lock that thread holds. The loop polls the flags, as a wait on an event
    would not wake when the kernel hands the signal to another thread.
    """

    POLL = 0.1  # seconds
    COALESCE = 1.0  # seconds

    def __init__(self) -> None:
        self.stop_signal: int | None = None
        self.reload_asked = False

    def install(self) -> Signals:
        from otel_ovh.process import handle_serve_signals, held_hangup

        handle_serve_signals(self._on_stop, self._on_hangup)
        self.reload_asked = held_hangup() or self.reload_asked  # after: a SIGHUP in between is not lost
        threading.Thread(target=self._deadline, name="otel-ovh-stop-deadline", daemon=True).start()
        return self

    def _on_stop(self, signum: int, _frame: object) -> None:
        if self.stop_signal is not None:
            from otel_ovh.process import leave_now

            log.error("%s again while stopping: leaving now", signal.Signals(signum).name)
            leave_now(128 + signum)
        self.stop_signal = signum

    def _on_hangup(self, _signum: int, _frame: object) -> None:
        self.reload_asked = True

    def _deadline(self) -> None:
        """Once a stop is asked, the process ends within ``STOP_DEADLINE`` even if the stop hangs."""
        from otel_ovh.process import leave_now

        while self.stop_signal is None:
            time.sleep(self.POLL)
        time.sleep(STOP_DEADLINE)
        log.warning("stopping took over %gs: leaving without waiting for the rest", STOP_DEADLINE)
        leave_now(0)

    def next(self) -> str:
        """``stop`` or ``reload``, once a signal asks for it; SIGHUPs within ``COALESCE`` seconds of the
        first are one reload (a reload rebuilds parts: a burst of them would only churn)."""
        while True:
            if self.stop_signal is not None:
                return "stop"
            if self.reload_asked:
                until = time.monotonic() + self.COALESCE
                while self.stop_signal is None and time.monotonic() < until:
                    time.sleep(self.POLL)
                self.reload_asked = False
                return "stop" if self.stop_signal is not None else "reload"
            time.sleep(self.POLL)


def reload_settings(exporter: Exporter, load: Callable[[], Settings]) -> bool:
    """SIGHUP: the settings read again and applied, or, when they are wrong, one line and no change."""
    from otel_ovh.logs import reconfigure_logging

    try:
        settings = load()
        exporter.reload(settings)
    except SettingsError as error:
        log.error("settings not reloaded, keeping the running ones: %s", error)
        return False
    except Exception as error:  # a bug must not end the server that was running fine
        log.error("settings not reloaded, keeping the running ones: %s: %s", type(error).__name__, error)
        return False
    reconfigure_logging(settings.log_level, settings.secrets())
    projects = f"{len(settings.projects)} project(s)" if settings.projects else "every readable project"
    log.info("settings reloaded: %s, families %s", projects, ", ".join(sorted(settings.collect.families)))
    return True


def serve(settings: Settings, load: Callable[[], Settings]) -> int:
    """``otel-ovh serve``: run until SIGTERM or SIGINT, reloading the settings with ``load`` on SIGHUP."""
    from otel_ovh import __version__
    from otel_ovh.process import tune_for_serving

    signals = Signals().install()
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
    while signals.next() == "reload":
        reload_settings(exporter, load)
    log.info("%s: stopping", signal.Signals(signals.stop_signal or signal.SIGTERM).name)
    exporter.stop()
    return 0
