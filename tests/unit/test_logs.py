"""The masking every log record goes through: secrets whole and in parts, and credential-like text."""

from __future__ import annotations

import base64
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from otel_ovh.logs import configure_logging, mask_credentials, reconfigure_logging, redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("HTTP 401: invalid token abc123secret", "HTTP 401: invalid token ***"),
        ("got Bearer abc123, want Bearer zz9zz9", "got Bearer ***, want Bearer ***"),
        ('{"api_key": "k3y-value", "password": "hunter22"}', '{"api_key": "***", "password": "***"}'),
        # Prose about credentials is not a credential.
        ("token expired; missing token in request", "token expired; missing token in request"),
        ("OVH refuses the credentials: This credential does not exist", None),
        # A project id after the word is still a project id: secrets are masked by what they are.
        ("configured project(s) not readable with these credentials: 0123456789abcdef0123456789abcdef", None),
        ("credential: a1b2c3d4e5", "credential: ***"),
        ("secrets file /home/u/.config/otel-ovh/secrets.yaml can be read", None),
    ],
)
def test_credential_like_text_is_masked_and_prose_is_not(text: str, shown: str | None) -> None:
    assert mask_credentials(text) == (text if shown is None else shown)


def test_a_secret_is_masked_whole_and_in_the_parts_a_peer_quotes() -> None:
    password_pair = base64.b64encode(b"tenant:pa55word").decode()
    configured = ["Bearer s3cr3t-t0ken", f"Basic {password_pair}"]
    text = f"sent Bearer s3cr3t-t0ken; the server said: unknown s3cr3t-t0ken, pa55word, {password_pair}"
    masked = redact(text, configured)
    assert all(part not in masked for part in ("s3cr3t-t0ken", "pa55word", password_pair)), masked
    assert masked.startswith("sent ***; the server said: unknown ***")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes the process's logging and exception hooks: put them back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    hooks = sys.excepthook, threading.excepthook
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks


@pytest.mark.usefixtures("restored_logging")
def test_a_reload_masks_the_new_secrets_and_still_the_old(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", ["old-credential-1"])
    reconfigure_logging("DEBUG", ["new-credential-2"])
    logging.getLogger("otel_ovh.test").debug("late: old-credential-1, now: new-credential-2")
    printed = capsys.readouterr().err
    assert "late: ***, now: ***" in printed, printed
