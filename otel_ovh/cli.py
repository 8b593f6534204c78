"""``otel-ovh``: serve, collect once, check settings, get a consumer key, run the simulated OVH API.

Exit codes: 0 success, 2 bad settings (the message names the key), 1 any other failure. User errors
are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from otel_ovh import __version__
from otel_ovh.config import DEFAULT_SECRETS_FILE, Settings, SettingsError, describe, load_settings

log = logging.getLogger("otel_ovh")

EXIT_OK, EXIT_FAILURE, EXIT_SETTINGS = 0, 1, 2


class CommandError(Exception):
    """A failure to report in one line (exit 1)."""


# --------------------------------------------------------------------------------------------------
# Demo: the built-in simulated OVH API


@contextmanager
def _maybe_demo(enabled: bool, seed: int = 42, projects: int = 3) -> Any:
    if not enabled:
        yield None
        return
    from otel_ovh.simulator import SimulatedOvh, World, WorldShape

    sim = SimulatedOvh(World(seed=seed, shape=WorldShape(projects=projects)), host="127.0.0.1", port=0)
    sim.start()
    log.info("demo mode: simulated OVH API at %s (%d projects)", sim.url, projects)
    try:
        yield {"ovh": {"endpoint": sim.url, **sim.credentials}}
    finally:
        sim.stop()


def _settings(args: argparse.Namespace, overrides: dict[str, Any] | None = None, **kwargs: Any) -> Settings:
    return load_settings(args.config, args.secrets, overrides, **kwargs)


# --------------------------------------------------------------------------------------------------
# serve


def cmd_serve(args: argparse.Namespace) -> int:
    from otel_ovh.app import Exporter

    with _maybe_demo(args.demo) as overrides:
        settings = _settings(args, overrides)
        _setup_logging(settings, args)
        exporter = Exporter.build(settings)
        # A scrape thread waiting for the interpreter lock while the refresher parses or renders waits up
        # to the switch interval at each step (5 ms by default, several steps per scrape): 0.5 ms keeps
        # scrapes fast during a refresh, for a negligible cost in throughput.
        sys.setswitchinterval(0.0005)
        # The cyclic garbage collector stops every thread; with the SDK's per-series storage its full
        # passes took ~60 ms and made the slowest scrapes. Our garbage is acyclic (freed by reference
        # counting), so collections can be far rarer: p99 of a scrape during refreshes 71 ms -> 7 ms.
        gc.set_threshold(100_000, 50, 100)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        exporter.start()
        mode = (
            " and ".join(
                filter(
                    None,
                    [
                        "Prometheus" if settings.prometheus.enabled else "",
                        "OTLP" if settings.otlp.enabled else "",
                    ],
                )
            )
            or "no reader"
        )
        log.info(
            "otel-ovh %s started (%s), refreshing every %.0fs", __version__, mode, settings.collect.interval
        )
        exporter.wait(stop)
        log.info("stopping")
        exporter.stop()
    return EXIT_OK


# --------------------------------------------------------------------------------------------------
# collect --once


def cmd_collect(args: argparse.Namespace) -> int:
    from otel_ovh.app import Exporter

    with _maybe_demo(args.demo) as overrides:
        merged = dict(overrides or {})
        merged["prometheus"] = {"enabled": True}
        merged["otlp"] = {"enabled": False}
        settings = _settings(args, merged)
        _setup_logging(settings, args, default="WARNING")
        exporter = Exporter.build(settings, serve=False)
        try:
            exporter.refresher.refresh_once()
            output = _FORMATS[args.format](exporter)
        finally:
            exporter.telemetry.shutdown()
    sys.stdout.write(output)
    projects = exporter.store.current.projects
    if not projects:
        error = exporter.refresher.discovery_error
        raise CommandError(f"no project collected: {error}" if error else "no project to collect")
    if all(not state.success for state in projects.values()):
        raise CommandError(
            "every project failed: "
            + "; ".join(
                f"{state.project_id}: {state.errors[0]}" for state in projects.values() if state.errors
            )
        )
    return EXIT_OK


def _points(exporter: Any) -> list[dict[str, Any]]:
    from otel_ovh.telemetry import enabled_metrics, observations

    snapshot = exporter.store.current
    now = time.time()
    rows = []
    for metric in enabled_metrics(exporter.settings):
        if not metric.per_project:
            continue
        for observation in observations(metric, snapshot, now):
            rows.append(
                {
                    "metric": metric.name,
                    "prometheus_name": metric.prometheus_name,
                    "unit": metric.unit,
                    "attributes": dict(observation.attributes or {}),
                    "value": observation.value,
                }
            )
    return rows


def _format_json(exporter: Any) -> str:
    return json.dumps(_points(exporter), indent=1, sort_keys=True) + "\n"


def _format_prometheus(exporter: Any) -> str:
    return str(exporter.telemetry.render().decode())


def _format_table(exporter: Any) -> str:
    lines = []
    header = (
        f"{'project':<34} {'name':<20} {'month-to-date':>14} {'forecast':>12} {'inst':>5} {'vol':>5} "
        f"{'buckets':>7}  {'top quota':<28} status"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for state in sorted(exporter.store.current.projects.values(), key=lambda s: s.name):
        data = state.data
        usage, forecast = data.usage, data.forecast
        currency = (usage.currency if usage else None) or (forecast.currency if forecast else None) or ""
        cost = f"{sum(c.price for c in usage.charges):,.2f} {currency}" if usage else "-"
        predicted = f"{forecast.total:,.2f}" if forecast else "-"
        saturation = [(q.usage / q.limit, q) for q in data.quotas or () if q.limit and q.usage is not None]
        top = max(saturation, key=lambda item: item[0], default=None)
        quota = f"{top[1].quota}@{top[1].region} {top[0]:.0%}" if top else "-"
        status = "ok" if state.success else "FAILED: " + "; ".join(state.errors)[:120]
        lines.append(
            f"{state.project_id:<34} {state.name[:20]:<20} {cost:>14} {predicted:>12} "
            f"{len(data.instances or ()):>5} {len(data.volumes or ()):>5} {len(data.buckets or ()):>7}  "
            f"{quota:<28} {status}"
        )
    return "\n".join(lines) + "\n"


_FORMATS: dict[str, Callable[[Any], str]] = {
    "table": _format_table,
    "json": _format_json,
    "prometheus": _format_prometheus,
}


# --------------------------------------------------------------------------------------------------
# check-config


def _describe_web_config(web: Any) -> str:
    """One line saying what protects /metrics, without any hash or path of a key."""
    import ssl

    parts = []
    if web.tls is not None:
        clients = {ssl.CERT_NONE: "not asked", ssl.CERT_OPTIONAL: "verified if given"}.get(
            web.tls.client_auth, "required and verified"
        )
        parts.append(f"TLS (minimum {web.tls.min_version.name}, client certificates {clients})")
    if web.basic_auth is not None:
        parts.append(f"basic auth ({len(web.basic_auth.users)} user(s))")
    return " and ".join(parts) or "nothing (no TLS, no basic auth)"


def cmd_check_config(args: argparse.Namespace) -> int:
    from otel_ovh.app import build_api
    from otel_ovh.logs import redact
    from otel_ovh.ovh_api.client import ApiError
    from otel_ovh.ovh_api.families import PROJECT, PROJECTS
    from otel_ovh.ovh_api.fields import Problems
    from otel_ovh.ovh_api.parsing import parse_project, parse_project_ids
    from otel_ovh.snapshot import in_shard
    from otel_ovh.web_config import load_web_config

    with _maybe_demo(args.demo) as overrides:
        settings = _settings(args, overrides)
        _setup_logging(settings, args, default="WARNING")
        secrets = settings.secrets()
        web_config_file = settings.prometheus.web_config_file
        web = load_web_config(web_config_file) if web_config_file else None
        shown = yaml.safe_dump(describe(settings), sort_keys=False, default_flow_style=False)
        print("settings are valid:")
        print(shown.rstrip())
        if settings.prometheus.enabled:
            protection = _describe_web_config(web) if web else "nothing (no web config)"
            print(f"/metrics is protected by: {protection}")
        api = build_api(settings)
        try:
            readable = parse_project_ids(api.get(PROJECTS), Problems())
        except ApiError as error:
            raise CommandError(redact(f"the credentials do not work: {error}", secrets)) from None
        print(f"credentials work: {len(readable)} project(s) readable")
        wanted = [p.id for p in settings.projects] or readable
        missing = [pid for pid in wanted if pid not in readable]
        for pid in wanted:
            if pid in missing:
                continue
            try:
                info = parse_project(api.get(PROJECT, {"serviceName": pid}), Problems(), pid)
                name, status = info.name, info.status
            except ApiError as error:
                name, status = "?", redact(f"unreadable: {error.message}", secrets)
            shard = "" if in_shard(pid, settings.collect.shard) else "  (other shard)"
            print(f"  {pid}  {name}  [{status}]{shard}")
        if missing:
            raise CommandError(
                f"configured project(s) not readable with these credentials: {', '.join(missing)}"
            )
    return EXIT_OK


# --------------------------------------------------------------------------------------------------
# login

# The consumer key's rights: read-only, and on the whole /cloud/project tree so that a project created
# later is readable without a new key. Nothing else of the account (billing, DNS, users...) is reachable.
LOGIN_RULES = ({"method": "GET", "path": "/cloud/project"}, {"method": "GET", "path": "/cloud/project/*"})


def _login_destination(args: argparse.Namespace) -> Path:
    """Where the key goes: the file the settings read secrets from (--secrets-file, --secrets,
    OTEL_OVH_SECRETS_FILE, then ~/.config/otel-ovh/secrets.yaml), so the next command finds it."""
    chosen = args.secrets_file or args.secrets or os.environ.get("OTEL_OVH_SECRETS_FILE")
    return Path(chosen or DEFAULT_SECRETS_FILE).expanduser()


def cmd_login(args: argparse.Namespace) -> int:
    import ovh

    from otel_ovh.logs import redact
    from otel_ovh.ovh_api.client import register_endpoint

    with _maybe_demo(args.demo) as overrides:
        if overrides:
            overrides["ovh"].pop("consumer_key", None)
        settings = _settings(args, overrides, require_credentials=False)  # getting a key is the point
        _setup_logging(settings, args, default="WARNING")
        s = settings.ovh
        if s.uses_oauth2:
            raise CommandError(
                "login requests a consumer key for an application key; OAuth2 service accounts "
                "need none (see docs/security.md for their minimal IAM policy)"
            )
        if not s.application_key or not s.application_secret:
            raise SettingsError(
                "ovh.application_key",
                "login needs application_key and application_secret "
                "(create an application at https://eu.api.ovh.com/createApp/)",
            )
        client = ovh.Client(
            endpoint=register_endpoint(s),
            application_key=s.application_key,
            application_secret=s.application_secret.reveal(),
            consumer_key=None,
        )
        request = client.new_consumer_key_request()
        for rule in LOGIN_RULES:
            request.add_rule(rule["method"], rule["path"])
        try:
            answer = request.request()
        except (ovh.exceptions.APIError, OSError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CommandError(
                redact(f"OVH refused the consumer key request: {message}", settings.secrets())
            ) from None
        path = _store_consumer_key(_login_destination(args), answer["consumerKey"])
        print("A consumer key limited to GET /cloud/project and /cloud/project/* was requested.")
        print(f"Open this URL, log in and accept to activate it:\n\n  {answer['validationUrl']}\n")
        print(f"The key is stored in {path} (mode 0600); otel-ovh reads it from there.")
        if os.environ.get("OTEL_OVH_OVH__CONSUMER_KEY"):
            print("Note: OTEL_OVH_OVH__CONSUMER_KEY is set and overrides that file; unset it.")
        if args.demo:
            print("(demo: the simulated API validates the key when the URL above is opened)")
    return EXIT_OK


def _store_consumer_key(path: Path, consumer_key: str) -> Path:
    """Write the key into the secrets file, keeping its other entries; readable by the owner only.

    The new content goes to a 0600 temporary file that then replaces the old one, so the key is never
    on disk under looser permissions, even when the old file had them.
    """
    existing: dict[str, Any] = {}
    if path.is_file():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        existing = loaded if isinstance(loaded, dict) else {}
    ovh_section = existing.get("ovh")
    existing["ovh"] = {**(ovh_section if isinstance(ovh_section, dict) else {}), "consumer_key": consumer_key}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yaml.safe_dump(existing, handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------------------------------
# simulate


def cmd_simulate(args: argparse.Namespace) -> int:
    from otel_ovh.simulator import SimulatedOvh, World, WorldShape

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    shape = WorldShape(projects=args.projects)
    sim = SimulatedOvh(
        World(seed=args.seed, shape=shape), host=args.host, port=args.port, latency=args.latency
    )
    sim.start()
    creds = sim.credentials
    print(f"Simulated OVH API on {sim.url}  ({args.projects} projects, seed {args.seed})")
    print("Point otel-ovh at it with:\n")
    print(f"  export OTEL_OVH_OVH__ENDPOINT={sim.url}")
    for key, value in creds.items():
        print(f"  export OTEL_OVH_OVH__{key.upper()}={value}")
    print("\nCtrl-C to stop.", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    sim.stop()
    return EXIT_OK


# --------------------------------------------------------------------------------------------------


def _setup_logging(settings: Settings, args: argparse.Namespace, default: str | None = None) -> None:
    from otel_ovh.logs import configure_logging

    level = (
        "DEBUG"
        if args.debug
        else (default if default and settings.log_level == "INFO" else settings.log_level)
    )
    configure_logging(level, settings.secrets())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="otel-ovh", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str, demo: bool = True
    ) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--config", "-c", metavar="FILE", help="settings file (YAML)")
        cmd.add_argument(
            "--secrets",
            metavar="FILE",
            help=f"secrets file (YAML; default {DEFAULT_SECRETS_FILE} if it exists)",
        )
        cmd.add_argument("--debug", action="store_true", help="log everything, with tracebacks")
        if demo:
            cmd.add_argument(
                "--demo",
                action="store_true",
                help="run against the built-in simulated OVH API (no OVH account needed)",
            )
        cmd.set_defaults(handler=handler)
        return cmd

    command("serve", cmd_serve, "refresh OVH data in the background and serve/push it as metrics")
    collect = command("collect", cmd_collect, "fetch everything once, print it and exit")
    collect.add_argument("--once", action="store_true", required=True, help="one refresh, then exit")
    collect.add_argument("--format", choices=sorted(_FORMATS), default="table")
    command(
        "check-config",
        cmd_check_config,
        "validate the settings, check the credentials and list the projects they can read",
    )
    login = command("login", cmd_login, "request a read-only consumer key and store it (mode 0600)")
    login.add_argument(
        "--secrets-file",
        default=None,
        help=f"where to store the consumer key (default: the --secrets file, else {DEFAULT_SECRETS_FILE})",
    )
    simulate = sub.add_parser(
        "simulate",
        help="run the simulated OVH API on its own",
        description="run the simulated OVH API on its own",
    )
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=8080)
    simulate.add_argument("--seed", type=int, default=42)
    simulate.add_argument("--projects", type=int, default=3)
    simulate.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    simulate.set_defaults(handler=cmd_simulate, debug=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SettingsError as error:
        print(f"otel-ovh: settings error: {error}", file=sys.stderr)
        return EXIT_SETTINGS
    except CommandError as error:
        from otel_ovh.logs import redact_configured

        print(f"otel-ovh: {redact_configured(str(error))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as error:  # a bug: one line for the user, the traceback with --debug
        if getattr(args, "debug", False):
            raise
        from otel_ovh.logs import redact_configured

        message = redact_configured(f"{type(error).__name__}: {error}")
        print(f"otel-ovh: unexpected error: {message} (run with --debug for details)", file=sys.stderr)
        return EXIT_FAILURE
