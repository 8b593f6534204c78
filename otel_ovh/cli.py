"""The otel-ovh command line: serve, collect once, advise, check settings, get a key, run a simulated OVH.

This module parses arguments and hands over: each command's work lives in ``otel_ovh.commands`` and
``serve.app``. Exit codes: 0 success, 2 bad settings (the message names the key), 1 any other failure.
User errors are one line on stderr, never a traceback.
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
from typing import Any, NoReturn

from otel_ovh import __version__
from otel_ovh.errors import CommandError
from otel_ovh.settings.config import DEFAULT_SECRETS_FILE, Settings, SettingsError, load_settings

EXIT_OK, EXIT_FAILURE, EXIT_SETTINGS, EXIT_INTERRUPTED = 0, 1, 2, 130
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


_interrupted = threading.Event()


def _until_signalled() -> threading.Event:
    """SIGTERM is how a supervisor stops the simulator (exit 0); SIGINT is a person's Ctrl-C (exit 130)."""
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        if signum == signal.SIGINT:
            _interrupted.set()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)
    return stop


def _stopped() -> int:
    return EXIT_INTERRUPTED if _interrupted.is_set() else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """SIGTERM or SIGINT stop the server (exit 0); SIGHUP reads the same sources again (see ``app.serve``)."""
    from dataclasses import replace

    from otel_ovh.process import hold_hangups

    hold_hangups()

    from otel_ovh.commands.demo import announce, simulated_ovh
    from otel_ovh.serve.app import serve

    with simulated_ovh(args.demo) as overrides:

        def load() -> Settings:
            settings = _settings(args, overrides)
            return replace(settings, log_level="DEBUG") if args.debug else settings

        settings = load()
        _setup_logging(settings, args)
        announce(overrides)
        return serve(settings, load)


def cmd_collect(args: argparse.Namespace) -> int:
    from otel_ovh.commands.report import collect_once

    return _once(args, lambda settings: collect_once(settings, args.format))


def cmd_advise(args: argparse.Namespace) -> int:
    from otel_ovh.commands.advise import advise

    return _once(args, lambda settings: advise(settings, args.format))


def _once(args: argparse.Namespace, run: Callable[[Settings], str]) -> int:
    """One refresh with the Prometheus reader only (nothing pushed), its text on standard output."""
    from otel_ovh.commands.demo import simulated_ovh

    with simulated_ovh(args.demo) as overrides:
        readers = {"prometheus": {"enabled": True}, "otlp": {"enabled": False}}
        settings = _settings(args, {**(overrides or {}), **readers})
        _setup_logging(settings, args, default="WARNING")
        try:
            sys.stdout.write(run(settings))
        except CommandError as error:
            sys.stdout.write(error.output)
            raise
    return EXIT_OK


def cmd_check_config(args: argparse.Namespace) -> int:
    from otel_ovh.commands.check import check_config
    from otel_ovh.commands.demo import simulated_ovh

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
    from otel_ovh.commands.demo import simulated_ovh
    from otel_ovh.commands.login import (
        login_lines,
        refuse_to_replace,
        request_consumer_key,
        store_consumer_key,
    )

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
    from otel_ovh.commands.backfill import target_labels, write_backfill
    from otel_ovh.commands.demo import simulated_ovh

    labels = target_labels(args.label)
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
    from otel_ovh.commands.demo import run_simulator

    level = logging.DEBUG if args.debug else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_simulator(args.host, args.port, args.seed, args.projects, args.latency, _until_signalled())
    return _stopped()


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (exit 2), like every other bad input, with where to read more."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("otel-ovh").strip()  # empty for the command line as a whole
        where = f"{command}: " if command else ""
        self.exit(EXIT_SETTINGS, f"otel-ovh: {where}{message} (see --help)\n")


class _Help(argparse.RawDescriptionHelpFormatter):
    """Every option's default after its help (an absent value is described in the help itself); the
    examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default in (None, argparse.SUPPRESS) or action.nargs == 0:
            return text + (" (default: off)" if action.default is False else "")
        return text if action.default == [] else f"{text} (default: %(default)s)"


def _port(text: str) -> int:
    value = _integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value}")
    return value


def _integer(text: str, minimum: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if minimum is not None and value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def _at_least_one(text: str) -> int:
    return _integer(text, 1)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds, got {text}")
    return value


SERVE_EXAMPLES = """examples:
  otel-ovh serve --demo                         # simulated OVH account, metrics on :9464/metrics
  otel-ovh serve --config /etc/otel-ovh/config.yaml
  OTEL_OVH_OTLP__ENABLED=true otel-ovh serve -c config.yaml   # also push OTLP"""
COLLECT_EXAMPLES = """examples:
  otel-ovh collect --demo                       # a table: each project's cost, forecast, quotas
  otel-ovh collect --format json > report.json  # timestamp, per-project status, every data point
  otel-ovh collect --format prometheus | promtool check metrics"""
ADVISE_EXAMPLES = """example:
  otel-ovh advise --config config.yaml --format json > advice.json   # ranked by saving, and the total"""
CHECK_EXAMPLES = """examples:
  otel-ovh check-config --demo                  # what a working set-up reports
  otel-ovh check-config --config /etc/otel-ovh/config.yaml   # exit 0: serve will start and read OVH"""
BACKFILL_EXAMPLES = """example, for Prometheus:
  otel-ovh backfill --months 12 --label job=otel-ovh --label instance=exporter:9464 \\
      --out history.om
  promtool tsdb create-blocks-from openmetrics history.om blocks/
  mv blocks/* /var/lib/prometheus/    # its --storage.tsdb.path
The labels are those Prometheus gives the live series (its scrape job and target)."""


def _command(
    sub: Any,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    help_text: str,
    epilog: str | None = None,
) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=help_text, epilog=epilog, formatter_class=_Help
    )
    cmd.add_argument(
        "--config", "-c", metavar="FILE", help="settings file (YAML); none: defaults and variables"
    )
    cmd.add_argument(
        "--secrets", metavar="FILE", help=f"secrets file (YAML); none: {DEFAULT_SECRETS_FILE} if it exists"
    )
    cmd.add_argument("--debug", action="store_true", help="log everything, with tracebacks")
    cmd.add_argument(
        "--demo",
        action="store_true",
        help="run against the built-in simulated OVH API (no OVH account needed)",
    )
    cmd.set_defaults(handler=handler)
    return cmd


def _add_commands(sub: Any) -> None:
    _command(
        sub,
        "serve",
        cmd_serve,
        "refresh OVH data in the background and serve/push it as metrics",
        SERVE_EXAMPLES,
    )
    collect = _command(
        sub, "collect", cmd_collect, "fetch everything once, print it and exit", COLLECT_EXAMPLES
    )
    collect.add_argument(
        "--once", action="store_true", help="one refresh, then exit (the only mode; optional)"
    )
    collect.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table for people, json or prometheus text for tools",
    )
    advise = _command(
        sub, "advise", cmd_advise, "fetch once and print what each piece of advice saves", ADVISE_EXAMPLES
    )
    advise.add_argument("--format", choices=("json", "table"), default="table", help="table or json")
    _command(
        sub,
        "check-config",
        cmd_check_config,
        "validate the settings, check the credentials, list projects",
        CHECK_EXAMPLES,
    )
    login = _command(sub, "login", cmd_login, "request a read-only consumer key and store it (mode 0600)")
    login.add_argument(
        "--force",
        action="store_true",
        help="replace a consumer key already in the secrets file (else: refuse)",
    )
    login.add_argument("--secrets-file", dest="secrets", help=argparse.SUPPRESS)  # the older spelling
    backfill = _command(
        sub,
        "backfill",
        cmd_backfill,
        "write closed billing periods as OpenMetrics, for promtool tsdb create-blocks-from openmetrics",
        BACKFILL_EXAMPLES,
    )
    backfill.add_argument(
        "--months", type=_at_least_one, default=12, help="closed billing periods to write, newest first"
    )
    backfill.add_argument(
        "--out", metavar="FILE", help="write here (whole, atomically); none: standard output"
    )
    backfill.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a target label of the live series (job, instance): history and live data are then one series",
    )


def _add_simulate(sub: Any) -> None:
    text = "run the simulated OVH API on its own"
    simulate = sub.add_parser("simulate", help=text, description=text, formatter_class=_Help)
    simulate.add_argument("--host", default="127.0.0.1", help="address to listen on")
    simulate.add_argument("--port", type=_port, default=8080, help="port to listen on (0: any free port)")
    simulate.add_argument("--seed", type=int, default=42, help="the simulated account: same seed, same data")
    simulate.add_argument("--projects", type=_at_least_one, default=3, help="simulated Public Cloud projects")
    simulate.add_argument("--latency", type=_seconds, default=0.0, help="seconds added to every answer")
    simulate.add_argument("--debug", action="store_true", help="log every request, with tracebacks")
    simulate.set_defaults(handler=cmd_simulate)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="otel-ovh",
        description="OVHcloud Public Cloud costs, quotas and resources as OpenTelemetry metrics.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_commands(sub)
    _add_simulate(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code = _run(args)
    if code == EXIT_INTERRUPTED or args.command == "serve":
        from otel_ovh.process import leave_now

        leave_now(code)
    return code


def _run(args: argparse.Namespace) -> int:
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
        print("otel-ovh: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug: one line for the user, the traceback with --debug
        if getattr(args, "debug", False):
            raise
        from otel_ovh.logs import redact_configured

        message = redact_configured(f"{type(error).__name__}: {error}")
        print(f"otel-ovh: unexpected error: {message} (run with --debug for details)", file=sys.stderr)
        return EXIT_FAILURE
