"""The last snapshot on disk (``state.path``), so that a restart serves data at once.

A first refresh of many projects takes minutes, and until it ends a restarted exporter would serve
nothing: dashboards gap, and ``absent()`` alerts fire on every rollout. So after each refresh the
snapshot is written here, and at start it is served with its real age until the first refresh
replaces it. The file is ours (JSON, versioned, see ``otel_ovh.collect.records``): anything else, an
older format, a truncated write or another account's file is ignored with one warning. It holds what
``/metrics`` shows and the time each record was fetched, never a credential.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from otel_ovh.collect.records import RecordError, decode, encode, record_type
from otel_ovh.collect.snapshot import MergeRules, ProjectData, ProjectState, Snapshot
from otel_ovh.settings.config import Settings

log = logging.getLogger(__name__)

FORMAT = "otel-ovh state"
VERSION = 1  # bump when a record's shape changes: an older file is then ignored, not misread


def account_of(settings: Settings) -> str:
    """Which OVH account the data is of, without saying anything of its credentials: the endpoint and
    the application's (or service account's) id, hashed."""
    ovh = settings.ovh
    url = urlsplit(ovh.endpoint)  # a URL's port aside: ``serve --demo`` listens on a new one each time
    where = f"{url.hostname}{url.path}" if url.hostname else ovh.endpoint
    who = f"{where}\n{ovh.application_key or ''}\n{ovh.client_id or ''}"
    return hashlib.sha256(who.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StateFile:
    path: Path
    account: str

    @classmethod
    def of(cls, settings: Settings) -> StateFile | None:
        path = settings.state.path
        return None if path is None else cls(path, account_of(settings))

    def save(self, snapshot: Snapshot, now: float) -> None:
        """Write the snapshot in place of the last one, whole or not at all: a temporary file beside
        it, flushed to disk, then renamed over it. Raises ``OSError``."""
        body = json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "account": self.account,
                "written_at": now,
                "projects": {pid: _project(state) for pid, state in snapshot.projects.items()},
            },
            separators=(",", ":"),
        ).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)

    def load(self, rules: MergeRules, wanted: set[str] | None, now: float) -> dict[str, ProjectState]:
        """The projects of the last snapshot still wanted (``wanted`` None: all), with the families on
        now and not expired; {} with one warning when the file cannot be used."""
        try:
            raw = json.loads(self.path.read_bytes())
            return self._projects(raw, rules, wanted, now)
        except FileNotFoundError:
            log.info("no state file at %s yet: serving from the first refresh", self.path)
        except (OSError, ValueError) as exc:  # RecordError and JSON errors are ValueErrors
            log.warning("state file %s ignored: %s", self.path, _why(exc))
        return {}

    def _projects(
        self, raw: Any, rules: MergeRules, wanted: set[str] | None, now: float
    ) -> dict[str, ProjectState]:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise RecordError("not an otel-ovh state file")
        if raw.get("version") != VERSION:
            raise RecordError(f"format version {raw.get('version')!r}, this otel-ovh reads {VERSION}")
        if raw.get("account") != self.account:
            raise RecordError("written for another OVH account or endpoint")
        projects = raw.get("projects")
        if not isinstance(projects, dict):
            raise RecordError("no projects")
        restored = {}
        for pid, entry in projects.items():
            if wanted is None or pid in wanted:
                restored[pid] = _restore(rules, pid, entry, now)
        log.info(
            "serving the state of %d project(s) from %s until the first refresh", len(restored), self.path
        )
        return restored


def _project(state: ProjectState) -> dict[str, object]:
    return {
        "fetched_at": dict(state.fetched_at),
        "records": {family.name: encode(record) for family, record in state.data.items()},
        "success": state.success,
        "duration": state.duration,
        "errors": list(state.errors),
    }


def _restore(rules: MergeRules, pid: str, entry: object, now: float) -> ProjectState:
    """One project's state, as the merge rules would have made it, then expired as they would."""
    fields = decode(dict[str, Any], entry, pid)
    fetched_at = decode(dict[str, float], fields.get("fetched_at"), f"{pid}.fetched_at")
    records = decode(dict[str, Any], fields.get("records"), f"{pid}.records")
    data = ProjectData()
    for family in rules.families:
        if family.name in records and family.name in fetched_at:
            kind = record_type(family)
            data = data.with_record(family, decode(kind, records[family.name], f"{pid}.{family.name}"))
    kept = {family.name: fetched_at[family.name] for family, _ in data.items()}
    state = rules.restored(
        pid,
        data,
        kept,
        success=decode(bool, fields.get("success"), f"{pid}.success"),
        duration=decode(float | None, fields.get("duration"), f"{pid}.duration"),
        errors=decode(tuple[str, ...], fields.get("errors"), f"{pid}.errors"),
    )
    return rules.expire(state, now)


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON, or cut short ({exc.msg} at byte {exc.pos})"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
