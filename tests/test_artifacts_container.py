"""The container image and the docker-compose demo, checked statically (no Docker engine needed),
plus the Dockerfile's install steps replayed in a fresh virtual env."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.artifacts import DASHBOARD, REPO, RULES, run_promtool

DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "deploy" / "docker-compose.yml"
PORT = 9464  # the exporter's default port (setting prometheus.port)


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"stage {self.name or self.image} has no {keyword}"
        return found[-1]


def dockerfile_stages(text: str) -> list[Stage]:
    """Split a Dockerfile into stages of (KEYWORD, arguments); global ARG defaults are substituted."""
    # Comment lines go first (they never continue), then backslash continuations are joined.
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    lines = [line.strip() for line in re.sub(r"\\\n", " ", code).splitlines() if line.strip()]
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), rest.split()[0])
            parts = rest.split()
            stages.append(Stage(image, parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else None))
        else:
            assert stages, f"{keyword} before FROM"
            stages[-1].instructions.append((keyword, rest))
    return stages


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"use the exec (JSON) form: {args}"
    return [str(v) for v in value]


def copy_sources(stage: Stage) -> list[tuple[list[str], str]]:
    """(sources, destination) of the stage's COPY lines that read the build context."""
    found = []
    for args in stage.all("COPY"):
        words = shlex.split(args)
        if any(w.startswith("--from") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        found.append((words[:-1], words[-1]))
    return found


def replay_copy(sources: list[str], root: Path, dest: str) -> None:
    """Docker's COPY below ``root`` (the WORKDIR): a directory's contents go into the destination; files
    go into it when it is a directory (several sources, or a name ending with a slash), else become it."""
    destination = root / dest
    into_dir = len(sources) > 1 or dest.endswith("/")
    for source in sources:
        origin = REPO / source
        if origin.is_dir():
            shutil.copytree(
                origin, destination, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            target = destination / origin.name if into_dir else destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").strip("/")
        if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat.removeprefix("**/")):
            result = not negate
    return result


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))


def test_base_image_is_official_python_slim(stages: list[Stage]) -> None:
    for stage in stages:
        if stage.image in {s.name for s in stages}:
            continue
        assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", stage.image), stage.image


def test_runs_as_a_non_root_user(stages: list[Stage]) -> None:
    user = stages[-1].last("USER").split(":")[0]
    assert user not in {"root", "0"}


def test_entrypoint_is_the_console_script(stages: list[Stage]) -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    entrypoint = exec_form(stages[-1].last("ENTRYPOINT"))
    assert entrypoint == ["otel-ovh"]
    assert entrypoint[0] in scripts
    assert exec_form(stages[-1].last("CMD")) == ["serve"]


def test_listens_on_all_interfaces_and_exposes_the_port(stages: list[Stage]) -> None:
    env = " ".join(stages[-1].all("ENV"))
    assert "OTEL_OVH_PROMETHEUS__HOST=0.0.0.0" in env
    assert stages[-1].all("EXPOSE") == [str(PORT)]


def test_healthcheck_hits_healthz_with_python(stages: list[Stage]) -> None:
    check = stages[-1].last("HEALTHCHECK")
    command = exec_form(check.split(" CMD ", 1)[1])
    assert command[0] == "python"
    assert "/healthz" in command[-1]
    assert str(PORT) in command[-1]
    assert "curl" not in check
    assert "wget" not in check


def test_every_copy_source_exists_and_is_not_dockerignored(stages: list[Stage]) -> None:
    patterns = dockerignore_patterns()
    sources = [src for stage in stages for srcs, _ in copy_sources(stage) for src in srcs]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY source {source} does not exist"
        assert not ignored(source, patterns), f"COPY source {source} is excluded by .dockerignore"
    assert ignored("tests", patterns)
    assert ignored(".git", patterns)


def test_installs_the_package_from_the_repository(stages: list[Stage]) -> None:
    runs = [run for stage in stages for run in stage.all("RUN") if "pip install" in run]
    assert any(re.search(r"pip install --no-cache-dir \.(\s|$)", run) for run in runs), runs


def test_the_dockerfile_install_steps_work_in_a_fresh_venv(stages: list[Stage], tmp_path: Path) -> None:
    """Replay the build stage: its COPY lines into a clean directory, its pip lines in a new venv."""
    build = stages[0]
    src = tmp_path / "src"
    for sources, destination in copy_sources(build):
        replay_copy(sources, src, destination)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("PYTHONPATH", None)
    pip_runs = [run for run in build.all("RUN") if "pip install" in run]
    assert pip_runs
    for run in pip_runs:
        result = subprocess.run(
            ["bash", "-c", run], cwd=src, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        assert result.returncode == 0, f"{run}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    result = subprocess.run(
        [str(venv / "bin" / "otel-ovh"), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "serve" in result.stdout


# ---------------------------------------------------------------- docker-compose demo


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def bind_mounts(service: dict[str, Any]) -> list[tuple[Path, str]]:
    mounts = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append(((COMPOSE.parent / source).resolve(), target))
    return mounts


def test_compose_runs_the_demo_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"otel-ovh", "prometheus", "grafana"}
    exporter = services["otel-ovh"]
    context = (COMPOSE.parent / exporter["build"]["context"]).resolve()
    assert (context / exporter["build"].get("dockerfile", "Dockerfile")) == DOCKERFILE
    assert exporter["command"] == ["serve", "--demo"]
    assert f"{PORT}:{PORT}" in exporter["ports"]


def test_compose_mounts_existing_files(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for source, target in bind_mounts(service):
            assert source.exists(), f"{name}: {source} mounted at {target} does not exist"


def test_compose_prometheus_scrapes_otel_ovh_with_the_rules(compose: dict[str, Any], tmp_path: Path) -> None:
    service = compose["services"]["prometheus"]
    mounts = {target: source for source, target in bind_mounts(service)}
    config_path = mounts["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    targets = [
        t
        for job in config["scrape_configs"]
        if job["job_name"] == "otel-ovh"
        for sc in job["static_configs"]
        for t in sc["targets"]
    ]
    assert targets == [f"otel-ovh:{PORT}"]
    rule_files = [
        source
        for target, source in mounts.items()
        if any(fnmatch.fnmatch(target, pattern) for pattern in config["rule_files"])
    ]
    assert RULES in rule_files
    result = run_promtool("check", "rules", *rule_files)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_promtool("check", "config", config_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_grafana_provisions_datasource_and_dashboard(compose: dict[str, Any]) -> None:
    mounts = {target: source for source, target in bind_mounts(compose["services"]["grafana"])}
    provisioning = [
        yaml.safe_load(source.read_text(encoding="utf-8"))
        for target, source in mounts.items()
        if target.startswith("/etc/grafana/provisioning/")
    ]
    datasources = [ds for doc in provisioning for ds in doc.get("datasources", [])]
    assert [ds["type"] for ds in datasources] == ["prometheus"]
    assert datasources[0]["url"] == "http://prometheus:9090"
    providers = [p for doc in provisioning for p in doc.get("providers", [])]
    assert len(providers) == 1
    dashboards_dir = mounts[providers[0]["options"]["path"]]
    assert dashboards_dir == DASHBOARD.parent


def test_the_image_gives_backfill_a_writable_volume(stages: list[Stage]) -> None:
    runtime = stages[-1]
    assert exec_form(runtime.last("VOLUME")) == ["/var/lib/otel-ovh"]
    setup = " ".join(runtime.all("RUN"))
    assert "mkdir -p /etc/otel-ovh /var/lib/otel-ovh" in setup
    assert "chown otel-ovh:otel-ovh /var/lib/otel-ovh" in setup  # the user the image runs as


def test_compose_backfills_the_demo_before_prometheus_starts(compose: dict[str, Any]) -> None:
    from otel_ovh.cli import build_parser

    services = compose["services"]
    backfill, blocks, prometheus = services["backfill"], services["history-blocks"], services["prometheus"]
    args = build_parser().parse_args(backfill["command"])  # a command the CLI accepts, as written
    assert (args.command, args.demo, args.months) == ("backfill", True, 12)
    assert set(args.label) == {"job=otel-ovh", f"instance=otel-ovh:{PORT}"}  # the live series' target labels
    history = args.out.rsplit("/", 1)[0]
    assert any(v.endswith(f":{history}") for v in backfill["volumes"])
    assert blocks["entrypoint"][:4] == ["promtool", "tsdb", "create-blocks-from", "openmetrics"]
    assert blocks["command"] == [args.out, "/prometheus"]
    assert blocks["depends_on"]["backfill"]["condition"] == "service_completed_successfully"
    assert prometheus["depends_on"]["history-blocks"]["condition"] == "service_completed_successfully"
    data = next(v.split(":")[0] for v in prometheus["volumes"] if v.endswith(":/prometheus"))
    assert f"{data}:/prometheus" in blocks["volumes"]
    retention = next(a for a in prometheus["command"] if a.startswith("--storage.tsdb.retention.time="))
    assert int(retention.split("=")[1].removesuffix("d")) >= 13 * 31  # the backfilled year is kept


def test_compose_prometheus_sends_its_alerts_to_alertmanager(compose: dict[str, Any]) -> None:
    services = compose["services"]
    alertmanager = services["alertmanager"]
    mounts = {target: source for source, target in bind_mounts(alertmanager)}
    config_file = next(a for a in alertmanager["command"] if a.startswith("--config.file=")).split("=", 1)[1]
    check = subprocess.run(  # amtool comes with Debian's prometheus-alertmanager (scripts/test installs it)
        ["amtool", "check-config", str(mounts[config_file])], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    prometheus = {t: s for s, t in bind_mounts(services["prometheus"])}
    config = yaml.safe_load(prometheus["/etc/prometheus/prometheus.yml"].read_text(encoding="utf-8"))
    targets = [
        t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]
    ]
    port = alertmanager["ports"][0].split(":")[1]
    assert targets == [f"alertmanager:{port}"]
    assert "alertmanager" in services["prometheus"]["depends_on"]
