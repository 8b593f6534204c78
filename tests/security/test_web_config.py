"""The web-config file: every mistake is a settings error naming ``prometheus.web_config_file`` and the key.

A security file that is silently half-read (a typo in ``client_auth_type``, an unsupported key dropped)
would serve data with less protection than the operator wrote, so every case here must refuse to start.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_ovh.settings.config import SettingsError
from otel_ovh.settings.web_config import KEY, load_web_config
from tests.security.support import FAKE_KEYS, clean_env, htpasswd_hash, run_cli, tls_section, write_web_config
from tests.support.certs import TlsMaterial

PLAINTEXT = "plain-text-password-by-mistake"
Content = Callable[[TlsMaterial], "dict[str, Any] | str"]

BAD_FILES: list[tuple[str, Content, str, str]] = [
    ("not yaml", lambda p: "tls_server_config: [\n", "", "not valid YAML"),
    ("a list", lambda p: "- tls_server_config\n", "the file", "must be a mapping"),
    ("unknown top key", lambda p: {"tls_config": {}}, "tls_config", "unknown key"),
    ("tls not a mapping", lambda p: {"tls_server_config": "on"}, "tls_server_config", "must be a mapping"),
    (
        "missing cert",
        lambda p: {"tls_server_config": tls_section(p, cert_file="/nonexistent/server.crt")},
        "tls_server_config.cert_file",
        "does not exist",
    ),
    (
        "no key_file",
        lambda p: {"tls_server_config": {"cert_file": str(p.server_cert)}},
        "tls_server_config.key_file",
        "must be a file path",
    ),
    (
        "cert is not a certificate",
        lambda p: {"tls_server_config": tls_section(p, cert_file=str(p.directory / "server.ext"))},
        "tls_server_config",
        "cannot load",
    ),
    (
        "key does not match cert",
        lambda p: {"tls_server_config": tls_section(p, key_file=str(p.client_key))},
        "tls_server_config",
        "cannot load",
    ),
    (
        "unknown min_version",
        lambda p: {"tls_server_config": tls_section(p, min_version="TLS14")},
        "tls_server_config.min_version",
        "unknown TLS version",
    ),
    (
        "max below min",
        lambda p: {"tls_server_config": tls_section(p, min_version="TLS13", max_version="TLS12")},
        "tls_server_config.max_version",
        "lower than min_version",
    ),
    (
        "unknown client_auth_type",
        lambda p: {"tls_server_config": tls_section(p, client_auth_type="Sometimes")},
        "tls_server_config.client_auth_type",
        "unknown value",
    ),
    (
        "unverifiable client_auth_type",
        lambda p: {
            "tls_server_config": tls_section(
                p, client_auth_type="RequireAnyClientCert", client_ca_file=str(p.ca_cert)
            )
        },
        "tls_server_config.client_auth_type",
        "not supported",
    ),
    (
        "mTLS without CA",
        lambda p: {"tls_server_config": tls_section(p, client_auth_type="RequireAndVerifyClientCert")},
        "tls_server_config.client_ca_file",
        "needed",
    ),
    (
        "missing CA file",
        lambda p: {
            "tls_server_config": tls_section(
                p, client_auth_type="VerifyClientCertIfGiven", client_ca_file="ca-missing.crt"
            )
        },
        "tls_server_config.client_ca_file",
        "does not exist",
    ),
    (
        "typo in a TLS key",
        lambda p: {"tls_server_config": tls_section(p, client_auth_typ="RequireAndVerifyClientCert")},
        "tls_server_config.client_auth_typ",
        "unknown key",
    ),
    (
        "cipher_suites",
        lambda p: {"tls_server_config": tls_section(p, cipher_suites=["TLS_AES_128_GCM_SHA256"])},
        "tls_server_config.cipher_suites",
        "not supported",
    ),
    ("users not a mapping", lambda p: {"basic_auth_users": ["alice"]}, "basic_auth_users", "mapping"),
    (
        "plaintext password",
        lambda p: {"basic_auth_users": {"alice": PLAINTEXT}},
        "basic_auth_users.alice",
        "bcrypt hash",
    ),
    (
        "bcrypt cost out of range",
        lambda p: {"basic_auth_users": {"alice": "$2y$03$" + htpasswd_hash("x")[7:]}},
        "basic_auth_users.alice",
        "cost",
    ),
    (
        "truncated hash",
        lambda p: {"basic_auth_users": {"alice": htpasswd_hash("x")[:-5]}},
        "basic_auth_users.alice",
        "bcrypt hash",
    ),
    (
        "header not allowed",
        lambda p: {"http_server_config": {"headers": {"Set-Cookie": "a=b"}}},
        "http_server_config.headers.Set-Cookie",
        "not allowed",
    ),
    (
        "header injection",
        lambda p: {"http_server_config": {"headers": {"X-Frame-Options": "deny\r\nX-Evil: 1"}}},
        "http_server_config.headers.X-Frame-Options",
        "one line",
    ),
    ("unknown http key", lambda p: {"http_server_config": {"gzip": 1}}, "http_server_config.gzip", "unknown"),
]


@pytest.mark.parametrize(
    ("content", "bad_key", "fragment"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES]
)
def test_bad_web_config_names_the_setting_and_the_key(
    tmp_path: Path, tls_material: TlsMaterial, content: Content, bad_key: str, fragment: str
) -> None:
    path = write_web_config(tmp_path / "web.yml", content(tls_material))
    with pytest.raises(SettingsError) as caught:
        load_web_config(path)
    error = caught.value
    assert error.key == KEY
    assert str(error).startswith(f"{KEY}: {bad_key}"), str(error)
    assert fragment in str(error)
    assert PLAINTEXT not in str(error)  # a password written in clear by mistake is never echoed
    assert "\n" not in str(error)


def test_unreadable_web_config_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_web_config(tmp_path)  # a directory
    assert caught.value.key == KEY and "cannot read" in caught.value.message


def test_good_web_config_reads_as_the_toolkit_does(tmp_path: Path, tls_material: TlsMaterial) -> None:
    """Relative paths are relative to the file; $2y$ (htpasswd) hashes verify; headers are canonical."""
    directory = tls_material.directory
    path = write_web_config(
        directory / "web.yml",
        {
            "tls_server_config": {
                "cert_file": "server.crt",
                "key_file": "server.key",
                "client_auth_type": "VerifyClientCertIfGiven",
                "client_ca_file": "ca.crt",
                "min_version": "TLS13",
                "prefer_server_cipher_suites": True,
            },
            "basic_auth_users": {"prometheus": htpasswd_hash("s3cret-scrape")},
            "http_server_config": {"headers": {"x-content-type-options": "nosniff"}, "http2": False},
        },
    )
    web = load_web_config(path)
    assert web.tls is not None and web.basic_auth is not None
    assert web.tls.cert_file == directory / "server.crt"
    assert web.tls.client_auth == ssl.CERT_OPTIONAL and web.tls.min_version == ssl.TLSVersion.TLSv1_3
    assert web.basic_auth.users["prometheus"].startswith(b"$2y$")
    assert web.basic_auth.check("prometheus", "s3cret-scrape")
    assert not web.basic_auth.check("prometheus", "s3cret-scrapE")
    assert dict(web.headers) == {"X-Content-Type-Options": "nosniff"}


# --------------------------------------------------------------------------------------------------
# Through the CLI: exit 2, one line naming the key, no traceback


CLI_CASES = [
    ("not yaml", "tls_server_config: [\n", "prometheus.web_config_file: "),
    ("wrong key", {"tls_server_config": {"cert_file": "x.crt", "key_file": "x.key", "min_version": "TLS9"}},
     "prometheus.web_config_file: tls_server_config.min_version"),
    ("plaintext password", {"basic_auth_users": {"alice": PLAINTEXT}},
     "prometheus.web_config_file: basic_auth_users.alice"),
    ("missing file", None, "prometheus.web_config_file: file"),
]


@pytest.mark.parametrize("command", ["serve", "check-config"])
@pytest.mark.parametrize(("content", "start"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_web_config_exits_2_in_one_line(
    tmp_path: Path, command: str, content: dict[str, Any] | str | None, start: str
) -> None:
    web = tmp_path / "web.yml"
    if content is not None:
        write_web_config(web, content)
    config = tmp_path / "otel-ovh.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "ovh": FAKE_KEYS,
                "prometheus": {"web_config_file": str(web), "port": 0},
            }
        ),
        encoding="utf-8",
    )
    result = run_cli(command, "--config", str(config), env=clean_env(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"otel-ovh: settings error: {start}"), lines[0]
    assert PLAINTEXT not in result.stdout + result.stderr
    assert FAKE_KEYS["application_secret"] not in result.stdout + result.stderr
