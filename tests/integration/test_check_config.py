"""``check-config`` says why: which readable projects are not collected, what to do after ``login``, and
when a secrets file is readable by others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from otel_ovh.simulator import SimulatedOvh, World, WorldShape

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_ovh", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), **env},
    )  # fmt: skip


def test_configured_projects_are_listed_and_the_others_counted(tmp_path: Path) -> None:
    demo_ids = World(seed=42, shape=WorldShape(projects=3)).project_ids  # the demo's account
    result = _run("check-config", "--demo", home=tmp_path, OTEL_OVH_PROJECTS=demo_ids[0])
    assert result.returncode == 0, result.stderr
    assert "credentials work: 3 project(s) readable" in result.stdout
    lines = result.stdout.splitlines()
    listed = lines.index("1 project(s) configured (projects):")
    assert lines[listed + 1].startswith(f"  {demo_ids[0]}  ") and lines[listed + 1].endswith("[ok]")
    others = ", ".join(sorted(demo_ids[1:]))
    assert lines[listed + 2] == f"2 other readable project(s), not collected (not in projects): {others}"
    assert result.stdout.count("[ok]") == 1


def test_an_unreadable_configured_project_is_named_not_masked(tmp_path: Path) -> None:
    """A project id is no secret: the one to fix is shown whole, among the configured, where it belongs."""
    demo_ids = World(seed=42, shape=WorldShape(projects=3)).project_ids
    unknown = "0123456789abcdef0123456789abcdef"
    config = tmp_path / "cfg.yaml"
    config.write_text(f"projects:\n  - id: {demo_ids[0]}\n  - id: {unknown}\n", encoding="utf-8")
    result = _run("check-config", "--demo", "--config", str(config), home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"otel-ovh: configured project(s) not readable with these credentials: {unknown}"
    )
    lines = result.stdout.splitlines()
    listed = lines.index("2 project(s) configured (projects):")
    assert lines[listed + 1].startswith(f"  {demo_ids[0]}  ") and lines[listed + 1].endswith("[ok]")
    assert lines[listed + 2] == f"  {unknown}  ?  [not readable with these credentials]"
    assert lines[listed + 3].startswith("2 other readable project(s), not collected")


def test_refused_credentials_suggest_opening_the_login_url(tmp_path: Path) -> None:
    with SimulatedOvh(World(seed=3, shape=WorldShape(projects=1))) as sim:
        credentials = {f"OTEL_OVH_OVH__{k.upper()}": v for k, v in sim.credentials.items()}
        credentials["OTEL_OVH_OVH__CONSUMER_KEY"] = "a" * 32  # never validated
        result = _run(
            "check-config", home=tmp_path, OTEL_OVH_OVH__ENDPOINT=sim.url, OTEL_OVH_COLLECT__RETRIES="0",
            **credentials,
        )  # fmt: skip
    assert result.returncode == 1
    assert "open the validation URL it printed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_secrets_file_others_can_read_is_named_with_the_fix(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("ovh:\n  consumer_key: abcdefgh\n", encoding="utf-8")
    secrets.chmod(0o644)
    loose = _run("check-config", "--demo", "--secrets", str(secrets), home=tmp_path)
    assert (
        f"secrets file {secrets} can be read by other users (mode 644): run `chmod 600 {secrets}`"
        in loose.stderr
    )
    secrets.chmod(0o600)
    tight = _run("check-config", "--demo", "--secrets", str(secrets), home=tmp_path)
    assert "can be read by other users" not in tight.stderr
