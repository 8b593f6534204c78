"""``otel-ovh backfill --demo`` writes the account's closed months and its bills, and the real promtool
turns them into TSDB blocks: the demo's history of the whole account, end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.e2e.conftest import ROOT
from tests.support.prometheus import promtool_create_blocks


def test_backfill_demo_writes_the_account_months_and_bills_into_blocks(tmp_path: Path) -> None:
    out = tmp_path / "history.om"
    result = subprocess.run(
        [sys.executable, "-m", "otel_ovh", "backfill", "--demo", "--months", "3", "--out", str(out)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    costs = families["ovh_account_cost"]
    months = {float(sample.timestamp) for sample in costs.samples if sample.value == 0.0}
    assert len(months) == 3  # each closed month starts at 0
    products = {sample.labels["ovh_product"] for sample in costs.samples}
    assert {"publiccloud", "dedicated-server", "ip", "domain"} <= products
    bills = families["ovh_account_bill_amount"].samples
    assert bills and all(sample.labels["ovh_bill_category"] for sample in bills)
    assert {s.labels["ovh_bill_id"] for s in families["ovh_account_bill_timestamp_seconds"].samples} == {
        s.labels["ovh_bill_id"] for s in bills
    }
    ok, output = promtool_create_blocks(out, tmp_path / "blocks")
    assert ok, output
    assert any((tmp_path / "blocks").iterdir())
