"""Basic auth: bcrypt for every refusal (no user-name probing), 401 with a challenge and none of the data.

The timing property is asserted by its cause, not by a stopwatch (timings on a shared 2-core machine
are noise): a spy on ``bcrypt.checkpw`` shows that an unknown user costs one bcrypt, at the file's cost.
"""

from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest

from otel_ovh.settings.web_config import BasicAuth, load_web_config
from tests.security.conftest import ServerFactory
from tests.security.support import (
    DATA_MARKERS,
    METRIC_TEXT,
    PROJECT,
    basic,
    htpasswd_hash,
    request,
    write_web_config,
)

USER, PASSWORD = "prometheus", "correct horse battery staple"


class CheckpwSpy:
    """Records the hash each bcrypt comparison ran against, then runs the real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hashes: list[bytes] = []
        real = bcrypt.checkpw

        def spy(password: bytes, hashed: bytes) -> bool:
            self.hashes.append(hashed)
            return bool(real(password, hashed))

        monkeypatch.setattr("otel_ovh.settings.web_config.bcrypt.checkpw", spy)


def test_every_check_runs_one_bcrypt_per_cost_in_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same work for an unknown user and for a wrong password of either user, whatever their costs."""
    auth = BasicAuth({USER: htpasswd_hash(PASSWORD).encode(), "ops": htpasswd_hash("x", rounds=5).encode()})
    spy = CheckpwSpy(monkeypatch)

    assert not auth.check("mallory", PASSWORD)
    assert [h[4:6] for h in spy.hashes] == [b"04", b"05"], "an unknown user must still run bcrypt"
    assert not set(spy.hashes) & set(auth.users.values())  # dummies only

    for user in (USER, "ops"):
        spy.hashes.clear()
        assert not auth.check(user, "wrong")
        assert [h[4:6] for h in spy.hashes] == [b"04", b"05"]
        assert auth.users[user] in spy.hashes


def test_a_remembered_success_short_cuts_only_the_same_password(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = BasicAuth({USER: htpasswd_hash(PASSWORD).encode()})
    spy = CheckpwSpy(monkeypatch)
    assert auth.check(USER, PASSWORD) and auth.check(USER, PASSWORD)
    assert len(spy.hashes) == 1  # the second scrape did not pay bcrypt again
    assert not auth.check(USER, PASSWORD + "!")
    assert len(spy.hashes) == 2  # a different password did


def test_passwords_longer_than_bcrypt_reads_are_compared_like_htpasswd() -> None:
    """bcrypt 5 raises on > 72 bytes; the server must answer 401/200, never fail the request."""
    long_password = "p" * 100
    auth = BasicAuth({USER: htpasswd_hash(long_password[:72]).encode()})
    assert auth.check(USER, long_password)
    assert not auth.check(USER, "q" * 100)
    assert not auth.check(USER, "a\x00b")


@pytest.fixture
def auth_config(tmp_path: Path) -> Path:
    return write_web_config(
        tmp_path / "web.yml",
        {
            "basic_auth_users": {USER: htpasswd_hash(PASSWORD)},
            "http_server_config": {"headers": {"X-Content-Type-Options": "nosniff"}},
        },
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


BAD_AUTHORIZATION: dict[str, dict[str, str]] = {
    "none": {},
    "wrong password": basic(USER, "Tr0ub4dor&3"),
    "unknown user": basic("mallory", PASSWORD),
    "bearer scheme": {"Authorization": f"Bearer {PASSWORD}"},
    "not base64": {"Authorization": "Basic !!!not-base64!!!"},
    "no colon": {"Authorization": "Basic " + _b64(USER.encode())},
    "not utf-8": {"Authorization": "Basic " + _b64(b"\xff\xfe:\xff")},
    "scheme only": {"Authorization": "Basic"},
    "empty user": basic("", PASSWORD),
    "huge password": basic(USER, "x" * 5000),
    "nul in password": basic(USER, "a\x00b"),
}


@pytest.mark.parametrize("headers", BAD_AUTHORIZATION.values(), ids=BAD_AUTHORIZATION.keys())
def test_unauthenticated_requests_get_401_with_a_challenge_and_no_data(
    metrics_server: ServerFactory, auth_config: Path, headers: dict[str, str]
) -> None:
    server = metrics_server(load_web_config(auth_config))
    for path in ("/metrics", f"/probe?target={PROJECT}", "/", "/does-not-exist"):
        answer = request("127.0.0.1", server.port, path, headers=headers)
        assert answer.status == 401, (path, answer)
        assert answer.headers["www-authenticate"].startswith("Basic realm="), answer.headers
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert not any(marker in answer.body for marker in DATA_MARKERS), answer.body
    assert server.renders == []  # type: ignore[attr-defined]  # nothing was even rendered


def test_right_credentials_get_the_data(metrics_server: ServerFactory, auth_config: Path) -> None:
    server = metrics_server(load_web_config(auth_config))
    answer = request("127.0.0.1", server.port, headers=basic(USER, PASSWORD))
    assert answer.status == 200 and answer.body == METRIC_TEXT
    lower_scheme = {"Authorization": basic(USER, PASSWORD)["Authorization"].replace("Basic", "basic")}
    probe = request("127.0.0.1", server.port, f"/probe?target={PROJECT}", headers=lower_scheme)
    assert probe.status == 200 and PROJECT.encode() in probe.body


def test_probes_stay_open_and_say_nothing_else(metrics_server: ServerFactory, auth_config: Path) -> None:
    """/healthz and /readyz answer without credentials (kubelets carry none) and carry no data."""
    ready = metrics_server(load_web_config(auth_config))
    starting = metrics_server(load_web_config(auth_config), ready=False)
    for path in ("/healthz", "/readyz"):
        answer = request("127.0.0.1", ready.port, path)
        assert (answer.status, answer.body) == (200, b"ok\n")
    not_ready = request("127.0.0.1", starting.port, "/readyz")
    assert not_ready.status == 503 and not_ready.body == b"not ready\n"
    assert ready.renders == [] and starting.renders == []  # type: ignore[attr-defined]
