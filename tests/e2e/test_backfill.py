"""History on day one, end to end: ``otel-ovh backfill`` against the simulator → real
``promtool tsdb create-blocks-from openmetrics`` → a real Prometheus started on those blocks and
scraping a live ``otel-ovh serve`` of the same world → PromQL over backfilled and live data.

Expected figures are the simulator's own answers (each closed period's ``totalPrice``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from otel_ovh.simulator import SimulatedOvh, World
from tests.artifacts import dashboard_expressions
from tests.e2e import expected
from tests.e2e.conftest import ROOT, ServeProcess, sim_env
from tests.support.prometheus import PrometheusServer, ScrapeJob, promtool_create_blocks

MONTHS = 12
_JOB = "otel-ovh"


def _periods(world: World, pid: str) -> list[dict[str, Any]]:
    """The last MONTHS closed periods, oldest first, with their detail bodies."""
    listed = sorted(
        world.body(expected.project_path(pid, "/usage/history")), key=lambda p: p["period"]["from"]
    )
    return [
        {**item, "detail": world.body(expected.project_path(pid, f"/usage/history/{item['id']}"))}
        for item in listed[-MONTHS:]
    ]


@pytest.fixture(scope="module")
def history_prometheus(
    simulator: SimulatedOvh, serve: ServeProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    work = tmp_path_factory.mktemp("backfill")
    target = f"127.0.0.1:{serve.port}"
    openmetrics = work / "history.om"
    result = subprocess.run(
        [
            sys.executable, "-m", "otel_ovh", "backfill", "--months", str(MONTHS),
            "--label", f"job={_JOB}", "--label", f"instance={target}", "--out", str(openmetrics),
        ],
        cwd=ROOT, env=sim_env(simulator, work), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert openmetrics.read_text().endswith("# EOF\n")
    ok, output = promtool_create_blocks(openmetrics, work / "blocks")
    assert ok, output
    server = PrometheusServer(
        [ScrapeJob([target], job_name=_JOB)],
        scrape_interval=1.0,
        blocks=work / "blocks",
        extra_args=["--storage.tsdb.retention.time=100y"],
    )
    server.start()
    try:
        server.wait_for_targets_up(timeout=20)
        yield server
    finally:
        print(f"\n--- prometheus log ---\n{server.log()}")
        server.stop()


def test_each_closed_period_ends_at_its_total_to_the_cent(
    history_prometheus: PrometheusServer, frozen_world: World
) -> None:
    checked = 0
    for pid in frozen_world.project_ids:
        for period in _periods(frozen_world, pid):
            total = (period["detail"].get("totalPrice") or {}).get("value")
            if total is None:  # an older-shaped answer without OVH's own total
                continue
            end = datetime.fromisoformat(period["period"]["to"]).timestamp()
            query = f'sum(ovh_cloud_cost_total{{cloud_account_id="{pid}"}})'
            result = history_prometheus.query(query, at=end - 0.001)
            assert result, (pid, period["period"])
            assert round(float(result[0]["value"][1]), 2) == pytest.approx(total, abs=0.005), period["period"]
            checked += 1
    assert checked >= MONTHS * 2


def test_live_data_continues_the_same_series(
    history_prometheus: PrometheusServer, frozen_world: World, serve: ServeProcess
) -> None:
    history_prometheus.wait_for("ovh_cloud_cost_total", timeout=20)
    for pid in frozen_world.project_ids:
        total = expected.total_price(frozen_world, pid)
        live = history_prometheus.wait_for(f'sum(ovh_cloud_cost_total{{cloud_account_id="{pid}"}})')
        if total is not None:
            assert round(float(live[0]["value"][1]), 2) == pytest.approx(total, abs=0.005), pid
    # One series per resource across the month boundary: backfilled samples and live ones together.
    spans = history_prometheus.query(
        f'count_over_time(ovh_cloud_cost_total{{job="{_JOB}", ovh_service="instance"}}[45d])'
    )
    assert max(float(r["value"][1]) for r in spans) > 2  # 0 and the final figure of a month, then live
    names = {tuple(sorted(r["metric"])) for r in history_prometheus.query("ovh_cloud_cost_total")}
    assert all("job" in labels and "instance" in labels for labels in names)
    series_now = len(history_prometheus.query("ovh_cloud_cost_total"))
    live_series = serve.get("/metrics").decode().count("\novh_cloud_cost_total{")
    assert series_now == live_series  # no backfilled twin beside a live series


def test_the_dashboard_history_panel_shows_each_months_bill(
    history_prometheus: PrometheusServer, frozen_world: World
) -> None:
    expr = dict(dashboard_expressions())["Month-to-date cost per project, last 12 months"]
    pid = next(p for p in frozen_world.project_ids if "totalPrice" in _periods(frozen_world, p)[-1]["detail"])
    for period in _periods(frozen_world, pid)[-3:]:
        end = datetime.fromisoformat(period["period"]["to"]).timestamp()
        shown = {
            r["metric"]["cloud_account_id"]: float(r["value"][1])
            for r in history_prometheus.query(expr, at=end - 0.001)
        }
        assert round(shown[pid], 2) == pytest.approx(period["detail"]["totalPrice"]["value"], abs=0.005)
