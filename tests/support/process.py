"""Launching and stopping the external programs of the harness (Prometheus, rotel).

One wrapper gives every child process the same guarantees: its output goes to a log file that a
failed test can show, its death is noticed at once (with that log) rather than after a timeout, and
it is stopped (SIGTERM, then SIGKILL) when the test ends or, as a last resort, when pytest exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from tests.support.errors import HarnessError

_live: weakref.WeakSet[ManagedProcess] = weakref.WeakSet()


def require_binary(path_or_name: str, what: str, hint: str) -> str:
    """Return the absolute path of an executable, or raise ``HarnessError`` saying how to get it.

    A missing binary must fail the test with an actionable message, not skip it.
    """
    if os.sep in path_or_name:
        if os.path.isfile(path_or_name) and os.access(path_or_name, os.X_OK):
            return path_or_name
        found = None
    else:
        found = shutil.which(path_or_name)
    if found is None:
        raise HarnessError(f"{what} not found ({path_or_name!r} is not an executable file): {hint}")
    return found


_DEFAULT_SIGINT_SHIM = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def with_default_sigint(argv: Sequence[str]) -> list[str]:
    """``argv`` run with SIGINT at its default disposition, whatever the test process inherited.

    A background job (``nohup``, a script's ``&``) starts with SIGINT ignored, children inherit that, and
    our commands rightly keep an ignored SIGINT ignored, so a test that sends Ctrl-C would test nothing
    but the shell that started pytest. A small Python shim resets SIGINT and ``exec``s the command: the
    same process, hence the same pid to signal; ``preexec_fn`` would do the same but is unsafe in a
    process with threads (the in-process simulator), ``exec`` keeps a default disposition as it is.
    ``argv[0]`` must be a path (it is not looked up in PATH).
    """
    return [sys.executable, "-c", _DEFAULT_SIGINT_SHIM, *argv]


class ManagedProcess:
    """A child process whose combined stdout/stderr goes to ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_fh: IO[bytes] | None = None

    def start(self) -> None:
        """Start the process; raise ``HarnessError`` if the OS refuses to run it."""
        if self._proc is not None and self._proc.poll() is None:
            raise HarnessError(f"{self.name} is already running (pid {self._proc.pid})")
        self._log_fh = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdout=self._log_fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.cwd,
                env=self.env,
            )
        except OSError as exc:
            self._log_fh.close()
            self._log_fh = None
            raise HarnessError(f"could not execute {self.name} ({self.argv[0]}): {exc}") from exc
        _live.add(self)

    @property
    def pid(self) -> int | None:
        """The process id, or None before start."""
        return None if self._proc is None else self._proc.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended, else None."""
        return None if self._proc is None else self._proc.poll()

    def running(self) -> bool:
        """Tell whether the process was started and has not exited."""
        return self._proc is not None and self._proc.poll() is None

    def log(self) -> str:
        """The whole log so far (decoded leniently: a log is for reading, not for failing)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        """The last ``lines`` lines of the log, for error messages."""
        return "\n".join(self.log().splitlines()[-lines:])

    def check_alive(self) -> None:
        """Raise ``HarnessError`` with the log tail if the process has exited."""
        code = self.returncode
        if self._proc is None:
            raise HarnessError(f"{self.name} was never started")
        if code is not None:
            raise HarnessError(
                f"{self.name} exited with status {code}; command: {' '.join(self.argv)}\n"
                f"--- {self.name} log ({self.log_path}) ---\n{self.log_tail()}"
            )

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process (SIGTERM, SIGKILL after ``timeout``) and close its log. Idempotent."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None
        _live.discard(self)

    def dump_log(self, reason: str) -> None:
        """Write the log to stderr, where pytest shows it under the failed test."""
        print(f"\n--- {self.name} log ({reason}; {self.log_path}) ---\n{self.log_tail(200)}", file=sys.stderr)


class Service:
    """Context-manager protocol shared by every harness server: ``with`` starts, leaving stops.

    When the ``with`` block raises, ``dump_log`` runs first, so the peer's own account of what
    happened is printed under the failed test.
    """

    def start(self) -> None:
        """Start serving; raise ``HarnessError`` if that is impossible."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving; must be idempotent."""
        raise NotImplementedError

    def dump_log(self, reason: str) -> None:
        """Print whatever log the service has (nothing by default)."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.dump_log(f"test failed: {exc_type.__name__}")
        self.stop()


class ProcessService(Service):
    """A ``Service`` backed by one external process living in its own temporary directory."""

    name = "process"

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: ManagedProcess | None = None

    @property
    def workdir(self) -> Path:
        """The temporary directory (config, data, log) of the running process."""
        if self._tmp is None:
            raise HarnessError(f"{self.name} is not started")
        return Path(self._tmp.name)

    def _make_workdir(self) -> Path:
        self._tmp = tempfile.TemporaryDirectory(prefix=f"otel-ovh-{self.name}-")
        return self.workdir

    def _launch(self, argv: Sequence[str]) -> ManagedProcess:
        """Start ``argv`` in the work directory, logging to ``<name>.log`` there."""
        self._process = ManagedProcess(self.name, argv, self.workdir / f"{self.name}.log", cwd=self.workdir)
        self._process.start()
        return self._process

    def _require_process(self) -> ManagedProcess:
        if self._process is None:
            raise HarnessError(f"{self.name} is not started")
        return self._process

    def log(self) -> str:
        """The process's output so far (stdout and stderr)."""
        return "" if self._process is None else self._process.log()

    def dump_log(self, reason: str) -> None:
        if self._process is not None:
            self._process.dump_log(reason)

    def stop(self) -> None:
        """Stop the process and delete its temporary directory. Idempotent."""
        if self._process is not None:
            self._process.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


@atexit.register
def _stop_leftovers() -> None:
    """Kill children a crashed or interrupted test did not stop, so no server outlives pytest."""
    for proc in list(_live):
        proc.stop(timeout=2.0)
