"""The cgroup memory limit, read from files laid out as the kernel does, and the budget's warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from otel_ovh.export.memory import (
    BASE_BYTES,
    BOTH_BYTES_PER_SERIES,
    MIB,
    OTLP_BASE_BYTES,
    OTLP_BYTES_PER_SERIES,
    PROMETHEUS_BYTES_PER_SERIES,
    WARN_FRACTION,
    MemoryBudget,
    cgroup_limit,
    own_cgroup,
    parse_limit,
    peak_estimate,
    pod_memory,
    sizing_table,
)


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("402653184\n", 402653184),
        ("max\n", None),  # v2: no limit
        ("9223372036854771712\n", None),  # v1: no limit, LONG_MAX rounded to a page
        ("", None),
        ("garbage", None),
        ("0", None),
    ],
)
def test_limit_values(text: str, limit: int | None) -> None:
    assert parse_limit(text) == limit


def test_v2_container_root(tmp_path: Path) -> None:
    (tmp_path / "memory.max").write_text("268435456\n")
    assert cgroup_limit(tmp_path, "0::/\n") == 256 * MIB


def test_v2_own_cgroup_on_a_host(tmp_path: Path) -> None:
    """Outside a container the root is the host's; the process's own cgroup holds its limit."""
    (tmp_path / "memory.max").write_text("max\n")
    own = tmp_path / "system.slice" / "otel-ovh.service"
    own.mkdir(parents=True)
    (own / "memory.max").write_text("134217728\n")
    proc = "0::/system.slice/otel-ovh.service\n"
    assert own_cgroup(proc) == "/system.slice/otel-ovh.service"
    assert cgroup_limit(tmp_path, proc) == 128 * MIB


def test_v1(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("536870912\n")
    assert cgroup_limit(tmp_path, "12:memory:/\n0::/\n") == 512 * MIB
    own = tmp_path / "memory" / "docker" / "abc"
    own.mkdir(parents=True)
    (own / "memory.limit_in_bytes").write_text("268435456\n")
    assert own_cgroup("4:cpu,memory:/docker/abc\n0::/\n", "memory") == "/docker/abc"
    assert cgroup_limit(tmp_path, "4:cpu,memory:/docker/abc\n0::/\n") == 256 * MIB
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert cgroup_limit(tmp_path, "") is None


def test_no_cgroup_files(tmp_path: Path) -> None:
    assert cgroup_limit(tmp_path / "absent", "0::/\n") is None


def test_the_warning_is_logged_once_per_change_of_state(caplog: pytest.LogCaptureFixture) -> None:
    budget = MemoryBudget(limit=100 * MIB)
    fits = budget.capacity()
    assert peak_estimate(fits, prometheus=True, otlp=False) <= 100 * MIB * WARN_FRACTION
    assert peak_estimate(fits + 1, prometheus=True, otlp=False) > 100 * MIB * WARN_FRACTION
    with caplog.at_level(logging.INFO, logger="otel_ovh.export.memory"):
        budget.update(fits)
        budget.update(fits + 1)
        budget.update(fits + 2000)
        budget.update(10)
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "shard" in caplog.records[0].getMessage()
    assert budget.estimate == BASE_BYTES + 10 * PROMETHEUS_BYTES_PER_SERIES


def test_without_a_limit_nothing_is_said(caplog: pytest.LogCaptureFixture) -> None:
    budget = MemoryBudget(limit=None)
    with caplog.at_level(logging.INFO, logger="otel_ovh.export.memory"):
        budget.update(10**7)
    assert caplog.records == []
    assert budget.capacity() == 0


def test_each_reader_adds_its_share() -> None:
    both = peak_estimate(1000, prometheus=True, otlp=True)
    assert both == BASE_BYTES + OTLP_BASE_BYTES + 1000 * BOTH_BYTES_PER_SERIES
    alone = peak_estimate(1000, prometheus=False, otlp=True)
    assert alone == BASE_BYTES + OTLP_BASE_BYTES + 1000 * OTLP_BYTES_PER_SERIES
    assert max(PROMETHEUS_BYTES_PER_SERIES, OTLP_BYTES_PER_SERIES) < BOTH_BYTES_PER_SERIES
    request, limit = pod_memory(1000, prometheus=True, otlp=True)
    assert request == both and limit == int(both / WARN_FRACTION)
    assert MemoryBudget(limit=None, otlp=True).estimate == BASE_BYTES + OTLP_BASE_BYTES


def test_the_docs_show_the_rule_the_code_applies() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scaling.md").read_text(encoding="utf-8")
    assert sizing_table() in doc, (
        "docs/scaling.md: paste otel_ovh.export.memory.sizing_table() in its sizing rule"
    )
