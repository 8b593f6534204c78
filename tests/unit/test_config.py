"""Settings: every bad input is refused with the key that holds it; good input from file or environment."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from otel_ovh.settings.config import (
    CollectSettings,
    PrometheusSettings,
    SettingsError,
    TelemetrySettings,
    describe,
    load_settings,
    parse_settings,
)
from otel_ovh.settings.schema import Secret

KEYS = {"application_key": "ak12345678901234", "application_secret": "as" * 16, "consumer_key": "ck" * 16}
PROJECT = "0123456789abcdef0123456789abcdef"


def _with(**sections: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"ovh": dict(KEYS)}
    raw.update(sections)
    return raw


@pytest.mark.parametrize(
    ("raw", "key", "fragment"),
    [
        ({}, "ovh.application_key", "missing"),
        ({"ovh": {"application_key": "ak"}}, "ovh.application_secret", "missing"),
        ({"ovh": {"application_key": "a", "application_secret": "b"}}, "ovh.consumer_key", "otel-ovh login"),
        ({"ovh": {**KEYS, "client_id": "id", "client_secret": "s"}}, "ovh", "not both"),
        ({"ovh": {"client_id": "id"}}, "ovh.client_secret", "missing"),
        ({"ovh": {**KEYS, "endpoint": "ovh-mars"}}, "ovh.endpoint", "unknown endpoint name"),
        ({"ovh": {**KEYS, "endpoint": "ftp://example.com/1.0"}}, "ovh.endpoint", "not an http(s) URL"),
        ({"ovh": {**KEYS, "endpoint": "http://:99/1.0"}}, "ovh.endpoint", "not an http(s) URL"),
        ({"ovh": {**KEYS, "endpoint": "http://host:99999/1.0"}}, "ovh.endpoint", "invalid port"),
        (
            {"ovh": {"client_id": "i", "client_secret": "s", "endpoint": "http://api.example.com/1.0"}},
            "ovh.oauth2_token_url",
            "needs https",
        ),
        (_with(projects=[{"id": "1234"}]), "projects[0].id", "32 hexadecimal"),
        (_with(projects=[{"id": PROJECT}, {"id": PROJECT}]), "projects[1].id", "listed twice"),
        (
            _with(projects=[{"id": PROJECT, "labels": {"team-name": "x"}}]),
            "projects[0].labels",
            "not a valid label",
        ),
        (
            _with(projects=[{"id": PROJECT, "labels": {"cloud_region": "x"}}]),
            "projects[0].labels",
            "reserved",
        ),
        (_with(projects=[{"id": PROJECT, "labels": ["team"]}]), "projects[0].labels", "mapping"),
        (_with(projects={"id": PROJECT}), "projects", "must be a list"),
        (_with(prometheus={"port": 70000}), "prometheus.port", "between 0 and 65535"),
        (_with(prometheus={"port": -1}), "prometheus.port", "at least 0"),
        (_with(prometheus={"port": "http"}), "prometheus.port", "must be a number"),
        (_with(collect={"interval": "five minutes"}), "collect.interval", "must be a number"),
        (_with(collect={"interval": 0}), "collect.interval", "at least 1"),
        (_with(collect={"concurrency": 2.5}), "collect.concurrency", "whole number"),
        (_with(collect={"families": ["cost", "gpu"]}), "collect.families", "unknown family 'gpu'"),
        (_with(collect={"regions": ["GRA11"]}), "collect.regions", "include and exclude"),
        (_with(collect={"shard": "3/3"}), "collect.shard", "0 <= i < n"),
        (_with(collect={"shard": "half"}), "collect.shard", "i/n"),
        (_with(collect={"interval": 600, "max_staleness": 300}), "collect.max_staleness", "at least"),
        (_with(colect={"interval": 60}), "colect", "unknown setting"),
        (_with(collect={"intervall": 60}), "collect.intervall", "unknown setting"),
        (_with(otlp={"protocol": "thrift"}), "otlp.protocol", "grpc or http/protobuf"),
        (_with(otlp={"endpoint": "localhost:4317"}), "otlp.endpoint", "not an http(s) URL"),
        (
            _with(prometheus={"web_config_file": "/nonexistent/web.yml"}),
            "prometheus.web_config_file",
            "does not exist",
        ),
        (_with(log_level="LOUD"), "log_level", "DEBUG, INFO"),
        (_with(collect={"cadence": {"forecats": 3600}}), "collect.cadence", "unknown family 'forecats'"),
        (_with(collect={"cadence": {"forecast": "hourly"}}), "collect.cadence.forecast", "a number"),
        (_with(collect={"cadence": "forecast"}), "collect.cadence", "name=value"),
        (_with(state={"path": "/tmp"}), "state.path", "is a directory"),
    ],
)
def test_bad_settings_name_the_key(raw: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw)
    assert caught.value.key == key
    assert fragment in caught.value.message


def test_defaults_and_types() -> None:
    settings = parse_settings(
        _with(projects=[{"id": PROJECT.upper(), "labels": {"team": "data", "tier": 1}}])
    )
    assert settings.ovh.endpoint == "ovh-eu"
    assert isinstance(settings.ovh.consumer_key, Secret)
    assert settings.projects[0].id == PROJECT and dict(settings.projects[0].labels) == {
        "team": "data",
        "tier": "1",
    }
    assert settings.collect.interval == 300 and settings.collect.concurrency == 8
    assert settings.prometheus.host == "127.0.0.1"  # never exposed beyond the machine unless asked
    assert settings.collect.region_wanted("GRA11")


def test_secrets_never_print() -> None:
    settings = parse_settings(_with())
    for text in (repr(settings), str(settings), f"{settings.ovh}"):
        assert KEYS["application_secret"] not in text and KEYS["consumer_key"] not in text


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "otel-ovh.yaml"
    config.write_text("ovh:\n  endpoint: ovh-ca\ncollect:\n  interval: 120\n  families: [cost, quota]\n")
    monkeypatch.setenv("OTEL_OVH_OVH__APPLICATION_KEY", "0123")  # would become 123 if cast
    monkeypatch.setenv("OTEL_OVH_OVH__APPLICATION_SECRET", "12345678901234567890123456789012")
    monkeypatch.setenv("OTEL_OVH_OVH__CONSUMER_KEY", "ck")
    monkeypatch.setenv("OTEL_OVH_COLLECT__INTERVAL", "60")
    monkeypatch.setenv("OTEL_OVH_COLLECT__REGIONS__EXCLUDE", "WAW1,SGP1")
    settings = load_settings(config)
    assert settings.ovh.endpoint == "ovh-ca"
    assert settings.ovh.application_key == "0123"
    assert settings.ovh.application_secret == Secret("12345678901234567890123456789012")
    assert settings.collect.interval == 60
    assert settings.collect.families == frozenset({"cost", "quota"})
    assert settings.collect.regions.exclude == frozenset({"WAW1", "SGP1"})


def test_the_environment_given_is_the_only_one_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_OVH_COLLECT__INTERVAL", "not read")
    environ = {
        **{f"OTEL_OVH_OVH__{key.upper()}": value for key, value in KEYS.items()},
        "OTEL_OVH_PROMETHEUS__HOST": "::1",
        "OTEL_OVH_PROMETHEUS__ENABLED": "False",  # written the Python way
        "OTEL_OVH_PROJECTS": f"{PROJECT},{PROJECT.replace('0', 'f')}",  # a list, as comma-separated text
        "OTEL_OVH_TELEMETRY__DISABLED_METRICS": '["ovh_cloud_project_info"]',  # or as TOML
    }
    settings = load_settings(environ=environ)
    assert settings.ovh.consumer_key == Secret(KEYS["consumer_key"]) and settings.collect.interval == 300
    assert (settings.prometheus.host, settings.prometheus.enabled) == ("::1", False)
    assert [p.id for p in settings.projects] == [PROJECT, PROJECT.replace("0", "f")]
    assert settings.telemetry.disabled_metrics == frozenset({"ovh_cloud_project_info"})


def test_a_value_is_never_a_dynaconf_command(tmp_path: Path) -> None:
    """dynaconf would read the file named by a value starting with ``@read_file``: a secret is as written."""
    named = tmp_path / "named"
    named.write_text("the file's content")
    command = f"@read_file {named}"
    config = tmp_path / "otel-ovh.yaml"
    config.write_text(f"ovh:\n  application_key: ak\n  application_secret: '{command}'\n")
    settings = load_settings(config, environ={"OTEL_OVH_OVH__CONSUMER_KEY": command})
    assert settings.ovh.application_secret == Secret(command) and settings.ovh.consumer_key == Secret(command)


def test_defaults_are_the_declared_ones() -> None:
    settings = parse_settings(_with(collect={"interval": 2000}))
    assert settings.prometheus == PrometheusSettings() and settings.telemetry == TelemetrySettings()
    # max_staleness: 3 × interval; refresh_timeout: 0.8 × interval
    assert settings.collect == CollectSettings(interval=2000, max_staleness=6000, refresh_timeout=1600)


def test_check_config_shows_the_file_as_written_without_secrets() -> None:
    settings = parse_settings(
        _with(
            collect={"regions": {"include": ["SBG5", "GRA11"]}},
            otlp={"headers": {"Authorization": "Bearer t0ken"}},
            prometheus={"web_config_file": __file__},
        )
    )
    shown = describe(settings)
    assert shown["collect"]["regions"] == {"include": ["GRA11", "SBG5"], "exclude": []}
    assert (
        shown["ovh"]["application_key"] == KEYS["application_key"] and shown["ovh"]["consumer_key"] == "***"
    )
    assert shown["otlp"]["headers"] == {"Authorization": "***"}
    assert shown["prometheus"]["web_config_file"] == __file__
    assert set(shown) == {
        "ovh",
        "projects",
        "collect",
        "catalog",
        "account",
        "prometheus",
        "otlp",
        "telemetry",
        "state",
        "log_level",
    }
    assert "Bearer t0ken" in settings.secrets() and "t0ken" not in str(shown)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("ovh: [\n", "not valid YAML (line 2"), ("ovh:\n\tendpoint: x\n", "not valid YAML")],
)
def test_invalid_yaml_is_a_settings_error(tmp_path: Path, content: str, fragment: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(content)
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert fragment in caught.value.message


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")
    with pytest.raises(SettingsError, match="not a file"):
        load_settings(tmp_path)


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_ovh", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("ovh:\n  endpoint: nowhere\n", "ovh.endpoint"),
        ("ovh: [\n", "--config"),
        ("collect:\n  interval: soon\n", "collect.interval"),
    ],
)
def test_cli_reports_bad_settings_in_one_line_with_exit_2(tmp_path: Path, content: str, key: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        content + "".join(f"  {k}: {v}\n" for k, v in KEYS.items())
        if content.startswith("ovh:\n")
        else content
    )
    result = _run(
        "check-config", "--config", str(config), env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("otel-ovh: settings error: " + key), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_port_in_use_is_a_settings_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OTEL_OVH_PROMETHEUS__PORT": str(port)}
        result = _run("serve", "--demo", env=env)
    assert result.returncode == 2, result.stderr
    assert f"prometheus.port: 127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_bad_otlp_variables_stop_check_config_and_serve_alike(tmp_path: Path, command: str) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        **{f"OTEL_OVH_OVH__{key.upper()}": value for key, value in KEYS.items()},
        "OTEL_OVH_OTLP__ENABLED": "true",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
    }
    result = _run(command, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("otel-ovh: settings error: OTEL_EXPORTER_OTLP_PROTOCOL:"), result.stderr


def test_a_cadence_is_read_from_yaml_and_from_the_environment_text() -> None:
    assert parse_settings(_with(collect={"cadence": {"forecast": 7200}})).collect.cadence == {
        "forecast": 7200
    }
    given = parse_settings(_with(collect={"cadence": "forecast=7200, credits=86400"})).collect.cadence
    assert given == {"forecast": 7200, "credits": 86400}
