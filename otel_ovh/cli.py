"""``otel-ovh``: serve, collect once, check settings, get a consumer key, run the simulated OVH API.

This module parses arguments and hands over: each command's work lives in the application's modules
(``app``, ``report``, ``check``, ``login``, ``demo``). Exit codes: 0 success, 2 bad settings (the message
names the key), 1 any other failure. User errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from otel_ovh import __version__
from otel_ovh.config import DEFAULT_SECRETS_FILE, Settings, SettingsError, load_settings
from otel_ovh.errors import CommandError

EXIT_OK, EXIT_FAILURE, EXIT_SETTINGS = 0, 1, 2
FORMATS = ("json", "prometheus", "table")


def _settings(args: argparse.Namespace, overrides: dict[str, Any] | None = None, **kwargs: Any) -> Settings:
    return load_settings(args.config, args.secrets, overrides, **kwargs)


def _setup_logging(settings: Settings, args: argparse.Namespace, default: str | None = None) -> None:
    from otel_ovh.logs import configure_logging

    level = (
        "DEBUG"
        if args.debug
        else (default if default and settings.log_level == "INFO" else settings.log_level)
    )
    configure_logging(level, settings.secrets())


def _until_signalled() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def cmd_serve(args: argparse.Namespace) -> int:
    from otel_ovh.app import serve
    from otel_ovh.demo import simulated_ovh

    with simulated_ovh(args.demo) as overrides:
        settings = _settings(args, overrides)
        _setup_logging(settings, args)
        serve(settings, _until_signalled())
    return EXIT_OK


def cmd_collect(args: argparse.Namespace) -> int:
    from otel_ovh.demo import simulated_ovh
    from otel_ovh.report import collect_once

    with simulated_ovh(args.demo) as overrides:
        readers = {"prometheus": {"enabled": True}, "otlp": {"enabled": False}}
        settings = _settings(args, {**(overrides or {}), **readers})
        _setup_logging(settings, args, default="WARNING")
        try:
            sys.stdout.write(collect_once(settings, args.format))
        except CommandError as error:
            sys.stdout.write(error.output)
            raise
    return EXIT_OK


def cmd_check_config(args: argparse.Namespace) -> int:
    from otel_ovh.check import check_config
    from otel_ovh.demo import simulated_ovh

    with simulated_ovh(args.demo) as overrides:
        settings = _settings(args, overrides)
        _setup_logging(settings, args, default="WARNING")
        for line in check_config(settings):
            print(line, flush=True)
    return EXIT_OK


def _login_destination(args: argparse.Namespace) -> Path:
    """Where the key goes: the file the settings read secrets from (--secrets, OTEL_OVH_SECRETS_FILE,
    then ~/.config/otel-ovh/secrets.yaml), so the next command finds it."""
    chosen = args.secrets or os.environ.get("OTEL_OVH_SECRETS_FILE")
    return Path(chosen or DEFAULT_SECRETS_FILE).expanduser()


def cmd_login(args: argparse.Namespace) -> int:
    from otel_ovh.demo import simulated_ovh
    from otel_ovh.login import login_lines, refuse_to_replace, request_consumer_key, store_consumer_key

    destination = None if args.demo else _login_destination(args)
    if destination is not None:
        refuse_to_replace(destination, args.force)
    with simulated_ovh(args.demo) as overrides:
        if overrides:
            overrides["ovh"].pop("consumer_key", None)
        settings = _settings(args, overrides, require_credentials=False)  # getting a key is the point
        _setup_logging(settings, args, default="WARNING")
        key = request_consumer_key(settings.ovh)
    if destination is not None:
        store_consumer_key(destination, key.key)
    for line in login_lines(key, destination):
        print(line)
    if destination is not None and os.environ.get("OTEL_OVH_OVH__CONSUMER_KEY"):
        print("Note: OTEL_OVH_OVH__CONSUMER_KEY is set and overrides that file; unset it.")
    return EXIT_OK


def cmd_backfill(args: argparse.Namespace) -> int:
    from otel_ovh.backfill import target_labels, write_backfill
    from otel_ovh.demo import simulated_ovh

    labels = target_labels(args.label)
    if args.months < 1:
        raise SettingsError("--months", f"must be at least 1, got {args.months}")
    with simulated_ovh(args.demo) as overrides:
        settings = _settings(args, overrides)
        _setup_logging(settings, args, default="WARNING")
        if args.out and Path(args.out).resolve() in {f.resolve() for f in settings.source_files}:
            raise SettingsError("--out", f"{args.out} is a settings file otel-ovh reads; choose another file")
        samples = write_backfill(settings, args.months, labels, args.out)
    if args.out:
        print(f"otel-ovh: {samples} samples written to {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from otel_ovh.demo import run_simulator

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_simulator(args.host, args.port, args.seed, args.projects, args.latency, _until_signalled())
    return EXIT_OK


BACKFILL_HELP = (
    "write closed billing periods as OpenMetrics, for promtool tsdb create-blocks-from openmetrics"
)
BACKFILL_EXAMPLE = (
    "example, for Prometheus:\n"
    "  otel-ovh backfill --months 12 --label job=otel-ovh --label instance=exporter:9464 \\\n"
    "      --out history.om\n"
    "  promtool tsdb create-blocks-from openmetrics history.om blocks/\n"
    "  mv blocks/* /var/lib/prometheus/    # its --storage.tsdb.path\n"
    "The labels are those Prometheus gives the live series (its scrape job and target)."
)


def _backfill_arguments(backfill: argparse.ArgumentParser) -> None:
    backfill.formatter_class = argparse.RawDescriptionHelpFormatter
    backfill.epilog = BACKFILL_EXAMPLE
    backfill.add_argument(
        "--months", type=int, default=12, help="closed billing periods to write, newest first (default: 12)"
    )
    backfill.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    backfill.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a target label of the live series (job, instance): history and live data are then one series",
    )


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
    collect.add_argument("--format", choices=FORMATS, default="table")
    command(
        "check-config",
        cmd_check_config,
        "validate the settings, check the credentials and list the projects they can read",
    )
    login = command("login", cmd_login, "request a read-only consumer key and store it (mode 0600)")
    login.add_argument(
        "--force",
        action="store_true",
        help="replace a consumer key already in the secrets file (default: refuse, keeping it)",
    )
    login.add_argument("--secrets-file", dest="secrets", help=argparse.SUPPRESS)  # the older spelling
    _backfill_arguments(command("backfill", cmd_backfill, BACKFILL_HELP))
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
