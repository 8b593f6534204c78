"""A real Prometheus server for end-to-end tests, plus offline checks with ``promtool``.

Why a real server: what matters for the bridge is that Prometheus itself accepts the scrape (names,
types, HELP/TYPE lines, TLS, basic auth) and that the queries the docs and dashboards ship return
what they should. The Debian build (``/usr/bin/prometheus`` 2.42, ``/usr/bin/promtool``) is used.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.errors import HarnessError
from tests.support.ports import LOOPBACK, free_port
from tests.support.process import ProcessService, require_binary
from tests.support.waiting import wait_until

PROMETHEUS_BIN = "/usr/bin/prometheus"
PROMTOOL_BIN = "/usr/bin/promtool"
_INSTALL_HINT = (
    "install the Debian package 'prometheus' (it provides /usr/bin/prometheus and /usr/bin/promtool)"
)

Result = list[dict[str, Any]]


def _duration(seconds: float) -> str:
    """Render seconds as a Prometheus duration; milliseconds keep sub-second intervals exact."""
    millis = round(seconds * 1000)
    if millis <= 0:
        raise ValueError(f"a Prometheus duration must be positive, got {seconds!r}s")
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


@dataclass(frozen=True)
class ScrapeJob:
    """One ``scrape_configs`` entry; only the settings the bridge's tests need, plus ``extra``.

    ``scrape_interval``/``scrape_timeout`` default to the server's global ones; ``extra`` is merged
    last into the job dict for anything not modelled here (relabelling, honor_timestamps…).
    """

    targets: Sequence[str]
    job_name: str = "otel-ovh"
    metrics_path: str = "/metrics"
    scheme: str = "http"
    basic_auth: tuple[str, str] | None = None
    ca_file: str | Path | None = None
    cert_file: str | Path | None = None
    key_file: str | Path | None = None
    server_name: str | None = None
    insecure_skip_verify: bool = False
    params: Mapping[str, Sequence[str]] | None = None
    scrape_interval: float | None = None
    scrape_timeout: float | None = None
    honor_labels: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_config(self) -> dict[str, Any]:
        """The job as Prometheus configuration (a dict ready for YAML)."""
        static: dict[str, Any] = {"targets": list(self.targets)}
        if self.labels:
            static["labels"] = dict(self.labels)
        job: dict[str, Any] = {
            "job_name": self.job_name,
            "metrics_path": self.metrics_path,
            "scheme": self.scheme,
            "honor_labels": self.honor_labels,
            "static_configs": [static],
        }
        if self.scrape_interval is not None:
            job["scrape_interval"] = _duration(self.scrape_interval)
        if self.scrape_timeout is not None:
            job["scrape_timeout"] = _duration(self.scrape_timeout)
        if self.basic_auth is not None:
            job["basic_auth"] = {"username": self.basic_auth[0], "password": self.basic_auth[1]}
        tls: dict[str, Any] = {}
        for key, value in (
            ("ca_file", self.ca_file),
            ("cert_file", self.cert_file),
            ("key_file", self.key_file),
            ("server_name", self.server_name),
        ):
            if value is not None:
                tls[key] = str(value)
        if self.insecure_skip_verify:
            tls["insecure_skip_verify"] = True
        if tls:
            job["tls_config"] = tls
        if self.params:
            job["params"] = {key: list(values) for key, values in self.params.items()}
        job.update(self.extra)
        return job


class PrometheusError(HarnessError):
    """The Prometheus HTTP API answered with an error (bad PromQL, bad parameters…)."""


class PrometheusServer(ProcessService):
    """A Prometheus process on 127.0.0.1:<free port> with its own config and temporary storage.

    Use as a context manager; on an exception inside the ``with`` block its log is written to
    stderr (pytest shows it under the failure). ``scrape_timeout`` defaults to the interval,
    because Prometheus rejects a timeout longer than the interval (the default is 10s).
    """

    name = "prometheus"

    def __init__(
        self,
        jobs: Sequence[ScrapeJob] = (),
        *,
        scrape_interval: float = 1.0,
        scrape_timeout: float | None = None,
        evaluation_interval: float = 1.0,
        rule_files: Sequence[str | Path] = (),
        extra_args: Sequence[str] = (),
        startup_timeout: float = 20.0,
        binary: str = PROMETHEUS_BIN,
        blocks: Path | None = None,
        alertmanagers: Sequence[str] = (),
    ) -> None:
        self.alertmanagers = list(alertmanagers)  # host:port of each Alertmanager to send alerts to
        self.jobs = list(jobs)
        self.blocks = blocks  # TSDB blocks (from promtool tsdb create-blocks-from) to start with
        self.scrape_interval = scrape_interval
        self.scrape_timeout = scrape_timeout if scrape_timeout is not None else scrape_interval
        self.evaluation_interval = evaluation_interval
        self.rule_files = [Path(path).resolve() for path in rule_files]
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.binary = binary
        self.port = 0
        super().__init__()

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def config_path(self) -> Path:
        """Path of the generated ``prometheus.yml``."""
        return self.workdir / "prometheus.yml"

    def config(self) -> dict[str, Any]:
        """The configuration this server runs with (as written to ``config_path``)."""
        cfg: dict[str, Any] = {
            "global": {
                "scrape_interval": _duration(self.scrape_interval),
                "scrape_timeout": _duration(self.scrape_timeout),
                "evaluation_interval": _duration(self.evaluation_interval),
            },
            "scrape_configs": [job.to_config() for job in self.jobs],
        }
        if self.rule_files:
            cfg["rule_files"] = [str(path) for path in self.rule_files]
        if self.alertmanagers:
            cfg["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": self.alertmanagers}]}]}
        return cfg

    def start(self) -> None:
        """Write the config, launch Prometheus and wait for ``/-/ready``; raise ``HarnessError`` if not."""
        binary = require_binary(self.binary, "prometheus", _INSTALL_HINT)
        self._make_workdir()
        self.port = free_port()
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False), encoding="utf-8")
        (self.workdir / "data").mkdir()
        if self.blocks is not None:  # moved in before the start, as a user backfilling does
            for block in self.blocks.iterdir():
                shutil.copytree(block, self.workdir / "data" / block.name)
        self._launch(
            [
                binary,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address={LOOPBACK}:{self.port}",
                "--web.enable-lifecycle",
                "--log.level=info",
                *self.extra_args,
            ]
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        """Poll ``/-/ready`` until 200, failing at once with the log if the process dies."""
        process = self._require_process()
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no attempt yet"
        while time.monotonic() < deadline:
            process.check_alive()
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1.0) as response:
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.1)
        raise HarnessError(
            f"Prometheus not ready on {self.url} after {self.startup_timeout:.0f}s ({last_error})\n"
            f"--- prometheus log ---\n{process.log_tail()}"
        )

    def reload(self) -> None:
        """Ask Prometheus to re-read its config and rule files (``POST /-/reload``)."""
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False), encoding="utf-8")
        request = urllib.request.Request(f"{self.url}/-/reload", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise PrometheusError(f"reload answered HTTP {response.status}")

    # -- HTTP API --------------------------------------------------------------------------------

    def api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``/api/v1/<path>`` and return its ``data``; raise ``PrometheusError`` on an API error."""
        self._require_process().check_alive()
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = f"{self.url}/api/v1/{path}{query}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", errors="replace")
            try:
                detail = json.loads(text)
                message = f"{detail.get('errorType')}: {detail.get('error')}"
            except ValueError:
                message = text
            raise PrometheusError(f"GET {url} -> HTTP {exc.code}: {message}") from exc
        if body.get("status") != "success":
            raise PrometheusError(f"GET {url} -> {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> Result:
        """Run an instant query; return the list of results (``{"metric": {...}, "value": [t, "v"]}``).

        Scalar and string results are wrapped as one result with an empty ``metric``, so callers
        always get a list of dicts.
        """
        params = {"query": promql}
        if at is not None:
            params["time"] = repr(at)
        data = self.api("query", params)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def query_value(self, promql: str) -> float:
        """Run an instant query that must yield exactly one sample, and return it as a float."""
        result = self.query(promql)
        if len(result) != 1:
            raise AssertionError(f"expected exactly one sample for {promql!r}, got {len(result)}: {result}")
        return float(result[0]["value"][1])

    def wait_for(
        self,
        promql: str,
        predicate: Callable[[Result], object] = bool,
        timeout: float = 15.0,
    ) -> Result:
        """Repeat ``query(promql)`` until ``predicate(result)`` holds (default: non-empty); return it.

        On timeout, fail with the last result and the scrape targets' state (usually the cause).
        """
        try:
            return wait_until(
                lambda: self.query(promql),
                predicate,
                timeout=timeout,
                what=f"PromQL {promql!r}",
                interval=0.2,
            )
        except AssertionError as exc:
            raise type(exc)(f"{exc}\ntargets: {self._targets_summary()}") from None

    def targets(self) -> Result:
        """The active scrape targets (``health``, ``lastError``, ``scrapeUrl``, ``labels``…)."""
        return list(self.api("targets", {"state": "active"})["activeTargets"])

    def _targets_summary(self) -> str:
        try:
            return "; ".join(
                f"{t.get('scrapeUrl')} health={t.get('health')} lastError={t.get('lastError')!r}"
                for t in self.targets()
            )
        except HarnessError as exc:
            return f"(could not read targets: {exc})"

    def wait_for_targets_up(self, timeout: float = 15.0) -> Result:
        """Wait until every active target has been scraped successfully; fail showing ``lastError``."""
        return wait_until(
            self.targets,
            lambda targets: bool(targets) and all(t.get("health") == "up" for t in targets),
            timeout=timeout,
            what="all scrape targets up",
            interval=0.2,
        )

    def rules(self) -> Result:
        """Rule groups as loaded by the server (each with ``rules`` and their ``health``/``lastError``)."""
        return list(self.api("rules")["groups"])

    def alerts(self) -> Result:
        """Active alerts (pending or firing)."""
        return list(self.api("alerts")["alerts"])

    def wait_for_alert(self, name: str, state: str = "firing", timeout: float = 15.0) -> dict[str, Any]:
        """Wait until an alert called ``name`` is in ``state``; return it."""
        found = wait_until(
            self.alerts,
            lambda alerts: [
                a for a in alerts if a["labels"].get("alertname") == name and a["state"] == state
            ],
            timeout=timeout,
            what=f"alert {name} {state}",
            interval=0.2,
        )
        return next(a for a in found if a["labels"].get("alertname") == name and a["state"] == state)


# -- promtool ------------------------------------------------------------------------------------


def _promtool(args: Sequence[str], stdin: str | None = None, timeout: float = 60.0) -> tuple[int, str, str]:
    """Run promtool; return (exit status, stdout, stderr)."""
    binary = require_binary(PROMTOOL_BIN, "promtool", _INSTALL_HINT)
    done = subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.returncode, done.stdout, done.stderr


def promtool_check_metrics(text: str) -> tuple[bool, str]:
    """Lint an exposition with ``promtool check metrics`` (reads stdin); return (ok, output).

    Not ok covers both parse errors (status 1) and lint problems such as a counter without
    ``_total`` or a metric without HELP (status 3); the output says which.
    """
    code, out, err = _promtool(["check", "metrics"], stdin=text)
    return code == 0, (out + err).strip()


def promtool_check_rules(*paths: str | Path) -> tuple[bool, str]:
    """Validate rule files (YAML shape and every PromQL expression); return (ok, output)."""
    code, out, err = _promtool(["check", "rules", *map(str, paths)])
    return code == 0, (out + err).strip()


def promtool_check_config(path: str | Path) -> tuple[bool, str]:
    """Validate a Prometheus configuration file (and the rule files it names); return (ok, output)."""
    code, out, err = _promtool(["check", "config", str(path)])
    return code == 0, (out + err).strip()


def promtool_test_rules(*paths: str | Path) -> tuple[bool, str]:
    """Run rule unit tests (``promtool test rules``); return (ok, output)."""
    code, out, err = _promtool(["test", "rules", *map(str, paths)])
    return code == 0, (out + err).strip()


def promtool_query_instant(url: str, expr: str) -> tuple[bool, str]:
    """Run ``promtool query instant`` against a server URL; return (ok, output)."""
    code, out, err = _promtool(["query", "instant", url, expr])
    return code == 0, (out + err).strip()


def check_promql(exprs: Sequence[str]) -> dict[str, str | None]:
    """Parse PromQL offline; map each expression to None (valid) or promtool's error message.

    promtool 2.42 has no "parse this expression" command, but ``check rules`` parses every rule's
    ``expr`` with the real PromQL parser. Each expression gets its own rule file (one recording
    rule), all checked in a single promtool run; promtool prints ``Checking <file>`` then
    ``SUCCESS`` on stdout, or ``<file>: … could not parse expression: …`` on stderr, per file, so
    each verdict is attributed exactly. Expressions are written as JSON strings, which YAML reads
    verbatim, so quotes, newlines and backslashes in the PromQL survive unchanged.
    """
    unique = list(dict.fromkeys(exprs))
    if not unique:
        return {}
    with tempfile.TemporaryDirectory(prefix="otel-ovh-promql-") as tmp:
        files: dict[str, str] = {}
        for index, expr in enumerate(unique):
            rule_file = Path(tmp) / f"expr_{index:05d}.yml"
            rule_file.write_text(
                'groups:\n- name: check\n  rules:\n  - record: "harness:check_promql"\n'
                f"    expr: {json.dumps(expr, ensure_ascii=False)}\n",
                encoding="utf-8",
            )
            files[str(rule_file)] = expr
        code, out, err = _promtool(["check", "rules", "--lint=none", *files])
    succeeded: set[str] = set()
    current: str | None = None
    for line in out.splitlines():
        if line.startswith("Checking "):
            current = line[len("Checking ") :].strip()
        elif line.strip().startswith("SUCCESS") and current is not None:
            succeeded.add(current)
    errors: dict[str, list[str]] = {}
    owner: str | None = None
    for raw in err.splitlines():
        text = raw.strip()
        prefix = next((name for name in files if raw.startswith(f"{name}:")), None)
        if prefix is not None:
            owner = prefix
            text = raw[len(prefix) + 1 :].strip()
        if owner is None or not text or text == "FAILED:":
            continue
        # Keep the parser's own words ("1:9: parse error: …"), not the rule-file position.
        errors.setdefault(owner, []).append(text.split("could not parse expression: ", 1)[-1])
    verdicts: dict[str, str | None] = {}
    for name, expr in files.items():
        if name in succeeded and name not in errors:
            verdicts[expr] = None
        else:
            verdicts[expr] = "\n".join(errors.get(name, [])) or (
                f"promtool gave no verdict (exit {code}); stdout:\n{out}\nstderr:\n{err}"
            )
    return verdicts


def _main() -> None:
    """``python -m tests.support.prometheus EXPR…``: check PromQL from the command line."""
    for expr, error in check_promql(sys.argv[1:]).items():
        print(f"{'OK ' if error is None else 'BAD'} {expr}" + ("" if error is None else f"\n    {error}"))


if __name__ == "__main__":
    _main()


def promtool_create_blocks(openmetrics: Path, output: Path) -> tuple[bool, str]:
    """``promtool tsdb create-blocks-from openmetrics``: TSDB blocks a Prometheus can start on."""
    code, out, err = _promtool(["tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(output)])
    return code == 0, (out + err).strip()
