"""The rotel OpenTelemetry collector (PyPI package ``rotel``) as a real third-party OTLP peer.

Why a second receiver besides ``otlp_receiver``: our own receiver shares our reading of the spec;
an independent collector (Rust, tonic/hyper) proves the bridge's OTLP is accepted by others. The
package ships a native ``rotel-agent`` binary next to its Python wrapper; the wrapper only runs it
daemonised with fixed pid/log files in /tmp, so the harness runs the binary itself, in the
foreground, on free loopback ports, with its debug exporter printing every metric it receives.
"""

from __future__ import annotations

import importlib.util
import re
import time
from collections.abc import Sequence
from pathlib import Path

from tests.support.errors import HarnessError, WaitTimeout
from tests.support.ports import LOOPBACK, free_port, wait_for_port
from tests.support.process import ProcessService, require_binary

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def rotel_binary() -> Path:
    """Locate ``rotel-agent`` inside the installed ``rotel`` package; fail clearly if absent."""
    spec = importlib.util.find_spec("rotel")
    if spec is None or spec.origin is None:
        raise HarnessError("the 'rotel' package is not installed in this venv (pip install rotel)")
    path = Path(spec.origin).parent / "rotel-agent"
    require_binary(str(path), "rotel-agent", "reinstall the 'rotel' wheel for this platform")
    return path


class RotelCollector(ProcessService):
    """``rotel-agent start`` in the foreground on 127.0.0.1 free ports, logging received metrics.

    The debug exporter (``--debug-log metrics --debug-log-verbosity detailed``) prints, per metric,
    a block with ``-> Name: <name>``, ``-> Unit:``, ``-> DataType:``, temporality, the resource
    and point attributes and values. Data is then dropped (``--exporter blackhole``) unless
    ``forward_to`` names an OTLP gRPC endpoint (e.g. an ``OtlpGrpcReceiver``), to chain them.
    """

    name = "rotel"

    def __init__(
        self,
        *,
        forward_to: str | None = None,
        forward_protocol: str = "grpc",
        verbosity: str = "detailed",
        extra_args: Sequence[str] = (),
        startup_timeout: float = 10.0,
    ) -> None:
        self.forward_to = forward_to
        self.forward_protocol = forward_protocol
        self.verbosity = verbosity
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.grpc_port = 0
        self.http_port = 0
        super().__init__()

    @property
    def grpc_endpoint(self) -> str:
        """OTLP gRPC endpoint for an exporter: ``http://127.0.0.1:<port>``."""
        return f"http://{LOOPBACK}:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        """OTLP HTTP metrics endpoint for an exporter: ``http://127.0.0.1:<port>/v1/metrics``."""
        return f"http://{LOOPBACK}:{self.http_port}/v1/metrics"

    def argv(self, binary: Path, workdir: Path) -> list[str]:
        """The command line used to start rotel (shown in failures)."""
        args = [
            str(binary),
            "start",
            "--otlp-grpc-endpoint", f"{LOOPBACK}:{self.grpc_port}",
            "--otlp-http-endpoint", f"{LOOPBACK}:{self.http_port}",
            "--debug-log", "metrics",
            "--debug-log-verbosity", self.verbosity,
            "--batch-timeout", "50ms",
            "--pid-file", str(workdir / "rotel.pid"),
            "--log-file", str(workdir / "rotel-daemon.log"),
        ]  # fmt: skip
        if self.forward_to is None:
            args += ["--exporter", "blackhole"]
        else:
            args += [
                "--exporter", "otlp",
                "--otlp-exporter-endpoint", self.forward_to,
                "--otlp-exporter-protocol", self.forward_protocol,
                "--otlp-exporter-compression", "none",
            ]  # fmt: skip
        return [*args, *self.extra_args]

    def start(self) -> None:
        """Start rotel and wait until both OTLP ports accept connections; raise with its log if not."""
        binary = rotel_binary()
        workdir = self._make_workdir()
        self.grpc_port, self.http_port = free_port(), free_port()
        process = self._launch(self.argv(binary, workdir))
        try:
            deadline = time.monotonic() + self.startup_timeout
            for port in (self.grpc_port, self.http_port):
                wait_for_port(
                    port,
                    timeout=max(0.1, deadline - time.monotonic()),
                    check_alive=process.check_alive,
                )
        except HarnessError as exc:
            message = f"rotel did not start: {exc}\n--- rotel log ---\n{self.log()}"
            self.stop()
            raise HarnessError(message) from None

    def log(self) -> str:
        """rotel's output so far (its debug dump of received metrics), colour codes removed."""
        return _ANSI.sub("", super().log())

    def metric_names(self) -> list[str]:
        """Names of the metrics rotel logged, in order, with repeats."""
        return re.findall(r"-> Name: (\S+)", self.log())

    def wait_for_log(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        """Wait until the log matches ``pattern`` (a regex); return the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            if self._process is not None:
                self._process.check_alive()
            found = regex.search(self.log())
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                tail = "\n".join(self.log().splitlines()[-60:])
                raise WaitTimeout(
                    f"rotel log did not match {regex.pattern!r} within {timeout:.1f}s; tail:\n{tail}"
                )
            time.sleep(0.1)

    def wait_for_metric(self, name: str, timeout: float = 10.0) -> str:
        """Wait until rotel logs a metric called ``name``; return that metric's logged block."""
        try:
            self.wait_for_log(rf"-> Name: {re.escape(name)}\n", timeout)
        except WaitTimeout as exc:
            seen = sorted(set(self.metric_names()))
            raise WaitTimeout(
                f"rotel never logged metric {name!r}; metrics it logged: {seen}\n{exc}"
            ) from None
        log = self.log()
        start = log.index(f"-> Name: {name}\n")
        end = log.find("\nMetric #", start)
        return log[start : end if end != -1 else len(log)]
