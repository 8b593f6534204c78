"""``otel-ovh advise`` as users run it, against the demo's simulated OVH: the figures worked out by hand
from the simulator's own price tables, and one line (never a traceback) when it cannot advise."""

from __future__ import annotations

import calendar
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from otel_ovh.simulator.catalog import EXTRAS, FLAVORS
from tests.integration.test_cli import otel_ovh

FLOATING_IP_HOURLY = next(spec.price for spec in EXTRAS if spec.reference == "floatingip")  # 0.0025


def _month_hours_and_left(now: float) -> tuple[float, float]:
    """The UTC month's hours, and those left after ``now``; OVH's month starts on its 1st in Paris time,
    one or two hours before UTC's."""
    moment = datetime.fromtimestamp(now, UTC)
    hours = 24.0 * calendar.monthrange(moment.year, moment.month)[1]
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    return hours, hours - (now - first) / 3600


def test_advise_ranks_the_demo_advice_with_figures_from_the_price_tables(tmp_path: Path) -> None:
    before = time.time()
    result = otel_ovh("advise", "--demo", "--format", "json", home=tmp_path)
    after = time.time()
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # one document
    rows = document["advice"]
    kinds = {row["kind"] for row in rows}
    assert {"monthly_billing", "stopped_instance", "idle_floating_ip", "idle_volume"} <= kinds
    savings = [row["saving_per_month"] for row in rows]
    assert savings == sorted(savings, reverse=True)
    assert len({row["project_id"] for row in rows}) == 3 and all(row["project"] for row in rows)
    assert document["total_per_month"] == {"EUR": sum(savings)}

    hours, _ = _month_hours_and_left(before)
    for row in (r for r in rows if r["kind"] == "monthly_billing"):
        flavor = FLAVORS[row["sku"]]  # by hand, b3-16: 0.1362 x 744 - 74.80 = 26.5328
        assert round(row["saving_per_month"], 2) == round(flavor.hourly * hours - flavor.monthly, 2)
    # A stopped instance saves its hourly price, an idle floating IP 0.0025 EUR, every hour left.
    left = [r["saving_per_month"] / FLAVORS[r["sku"]].hourly for r in rows if r["kind"] == "stopped_instance"]
    left += [r["saving_per_month"] / FLOATING_IP_HOURLY for r in rows if r["kind"] == "idle_floating_ip"]
    assert len(left) >= 3 and max(left) - min(left) < 0.01
    _, left_before = _month_hours_and_left(before)
    _, left_after = _month_hours_and_left(after)
    assert left_after - 0.01 <= left[0] <= left_before + 2.01  # up to 2 h: OVH's 1st is Paris's

    table = otel_ovh("advise", "--demo", home=tmp_path)
    assert table.returncode == 0, table.stderr
    last = table.stdout.splitlines()[-1].split()
    assert last[:2] == ["total", f"{len(rows)}"] and last[-2:] == [f"{sum(savings):,.2f}", "EUR"]


def test_advise_without_usable_settings_or_ovh_says_so_in_one_line(tmp_path: Path) -> None:
    missing = otel_ovh("advise", "--config", str(tmp_path / "none.yaml"), home=tmp_path)
    assert missing.returncode == 2 and missing.stdout == ""
    assert (
        missing.stderr.startswith("otel-ovh: settings error: --config")
        and len(missing.stderr.splitlines()) == 1
    )

    no_catalog = tmp_path / "families.yaml"
    no_catalog.write_text("collect:\n  families: [cost, instances, advice]\n")
    off = otel_ovh("advise", "--demo", "--config", str(no_catalog), home=tmp_path)
    assert off.returncode == 2, off.stderr
    assert off.stderr == "otel-ovh: settings error: collect.families: advise needs catalog on\n"

    config = tmp_path / "c.yaml"
    config.write_text(
        "ovh:\n  endpoint: http://127.0.0.1:9/1.0\n  application_key: a\n"
        "  application_secret: b\n  consumer_key: c\ncollect:\n  retries: 0\n  timeout: 2\n"
    )
    unreachable = otel_ovh("advise", "--config", str(config), "--format", "json", home=tmp_path)
    assert unreachable.returncode == 1 and unreachable.stdout == ""
    assert "Traceback" not in unreachable.stderr and len(unreachable.stderr.splitlines()) == 1
    assert unreachable.stderr.startswith("otel-ovh: no project collected: OVH is unreachable")
