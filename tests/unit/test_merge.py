"""The merge rules on plain values: what a refresh keeps, drops and fixes, with no HTTP anywhere."""

from __future__ import annotations

from dataclasses import replace

from otel_ovh.collect.snapshot import MergeRules, ProjectData, ProjectState, Refreshed, fill_account_currency
from otel_ovh.families import FAMILIES, cost, forecast, project, quota, volumes
from otel_ovh.families.forecast import Forecast
from otel_ovh.families.project import ProjectInfo
from otel_ovh.families.quota import Quota
from otel_ovh.families.usage import Charge, Usage
from otel_ovh.families.volumes import Volume

PID = "0" * 32


def _rules(**changes: object) -> MergeRules:
    options: dict[str, object] = {
        "families": FAMILIES,
        "max_staleness": 900.0,
        "region_wanted": lambda region: region != "BHS5",
        "regions_kept": frozenset(),
    }
    options.update(changes)
    return MergeRules(**options)  # type: ignore[arg-type]


def _usage(*charges: tuple[str, float], currency: str | None = "EUR") -> Usage:
    lines = tuple(
        Charge(region, "instance", "b2-7", f"i-{region}", "hourly", price) for region, price in charges
    )
    return Usage(None, currency, None, lines, (), ())


def _refreshed(data: ProjectData, *errors: str) -> Refreshed:
    return Refreshed(PID, data, tuple(errors), started=0.0, finished=2.0)


def test_a_failed_family_keeps_its_last_good_record_until_too_old() -> None:
    rules = _rules()
    first = rules.merge(None, _refreshed(ProjectData().with_record(volumes.FAMILY, ())), now=100.0)
    assert first.success and first.fetched_at == {"volumes": 100.0} and first.duration == 2.0

    failed = rules.merge(first, _refreshed(ProjectData(), "volumes: HTTP 500"), now=400.0)
    assert not failed.success and failed.errors == ("volumes: HTTP 500",)
    assert failed.data.get(volumes.FAMILY) == () and failed.fetched_at == {"volumes": 100.0}

    expired = rules.expire(failed, now=1001.0)
    assert expired.data.get(volumes.FAMILY) is None and expired.fetched_at == {}
    assert rules.expire(first, now=200.0) is first  # nothing old: the same state, no new snapshot


def test_a_family_switched_off_loses_its_record() -> None:
    data = ProjectData().with_record(volumes.FAMILY, ()).with_record(quota.FAMILY, ())
    state = _rules().merge(None, _refreshed(data), now=1.0)
    narrower = _rules(families=(quota.FAMILY,))
    later = narrower.merge(state, _refreshed(ProjectData()), now=2.0)
    assert later.data.get(volumes.FAMILY) is None and set(later.fetched_at) == {"quota"}


def test_excluded_regions_go_and_quotas_stay_only_where_something_is_used() -> None:
    quotas = (
        Quota("GRA11", "instances", 20.0, 0.0),  # an instance runs there (volumes below): kept
        Quota("SBG5", "instances", 20.0, 0.0),  # nothing anywhere: dropped
        Quota("DE1", "instances", 20.0, 2.0),  # the quota itself shows use: kept
        Quota("BHS5", "instances", 20.0, 3.0),  # excluded by the settings
        Quota("WAW1", "instances", 20.0, 0.0),  # idle, but named in collect.regions.include: kept
    )
    disks = (
        Volume("v1", "a", "GRA11", "classic", "in-use", 1.0),
        Volume("v2", "b", "BHS5", "classic", "in-use", 1.0),
    )
    data = ProjectData().with_record(quota.FAMILY, quotas).with_record(volumes.FAMILY, disks)
    state = _rules(regions_kept=frozenset({"WAW1"})).merge(None, _refreshed(data), now=1.0)
    assert {q.region for q in state.data.get(quota.FAMILY) or ()} == {"GRA11", "DE1", "WAW1"}
    assert [v.id for v in state.data.get(volumes.FAMILY) or ()] == ["v1"]


def test_usage_lines_without_a_region_survive_the_region_filter_and_priced_lines_mark_use() -> None:
    data = ProjectData().with_record(cost.FAMILY, _usage(("", 1.0), ("BHS5", 2.0), ("SBG5", 3.0)))
    data = data.with_record(
        quota.FAMILY, (Quota("SBG5", "cores", 8.0, 0.0), Quota("GRA9", "cores", 8.0, 0.0))
    )
    state = _rules().merge(None, _refreshed(data), now=1.0)
    usage = state.data.get(cost.FAMILY)
    assert usage is not None and sorted(c.region for c in usage.charges) == ["", "SBG5"]
    assert [q.region for q in state.data.get(quota.FAMILY) or ()] == ["SBG5"]  # billed there: in use


def test_the_project_name_comes_from_the_settings_then_from_ovh_then_the_id() -> None:
    info = ProjectInfo(PID, "analytics", "ok", "discovery")
    data = ProjectData().with_record(project.FAMILY, info)
    assert _rules().merge(None, _refreshed(data), now=1.0).name == "analytics"
    assert _rules(names={PID: "mine"}).merge(None, _refreshed(data), now=1.0).name == "mine"
    assert _rules().merge(None, _refreshed(ProjectData()), now=1.0).name == PID


def test_records_without_a_currency_get_the_accounts() -> None:
    rules = _rules()
    eur = ProjectData().with_record(cost.FAMILY, _usage(("GRA11", 1.0)))
    bare = ProjectData().with_record(cost.FAMILY, _usage(("GRA11", 1.0), currency=None))
    bare = bare.with_record(forecast.FAMILY, Forecast(10.0, None))
    projects: dict[str, ProjectState] = {
        "a": rules.merge(None, _refreshed(eur), now=1.0),
        "b": rules.merge(None, _refreshed(bare), now=1.0),
    }
    fill_account_currency(projects)
    usage, estimate = projects["b"].data.get(cost.FAMILY), projects["b"].data.get(forecast.FAMILY)
    assert usage is not None and usage.currency == "EUR"
    assert estimate is not None and estimate.currency == "EUR"


def test_an_hourly_record_outlives_max_staleness_until_it_was_due_and_then_some() -> None:
    rules = _rules(interval=300.0)
    first = rules.merge(None, _refreshed(ProjectData().with_record(forecast.FAMILY, None)), now=0.0)
    assert first.due_after == {"forecast": 3600.0}
    assert not rules.due(first, forecast.FAMILY, now=3000.0) and rules.due(first, forecast.FAMILY, now=3450.0)
    assert rules.due(first, volumes.FAMILY, now=1.0)  # every refresh, however soon
    assert rules.expire(first, now=4200.0) is first  # due at 3600, then max_staleness past the interval
    assert rules.expire(first, now=4201.0).fetched_at == {}


def test_usage_waits_for_ovhs_next_aggregation_an_hour_at_most() -> None:
    rules = _rules(interval=300.0)
    usage = replace(_usage(("GRA7", 1.0)), last_update=7200.0 + 100)
    state = rules.merge(None, _refreshed(ProjectData().with_record(cost.FAMILY, usage)), now=7200.0 + 200)
    assert not rules.due(state, cost.FAMILY, now=7200.0 + 3000) and rules.due(
        state, cost.FAMILY, now=3 * 3600
    )
    ahead = replace(usage, last_update=10 * 3600.0)  # OVH's clock far ahead of ours
    state = rules.merge(None, _refreshed(ProjectData().with_record(cost.FAMILY, ahead)), now=7200.0)
    assert state.due_after == {"cost": 3600.0}
    set_by_hand = _rules(interval=300.0, cadences={"cost": 300.0})
    assert set_by_hand.due(state, cost.FAMILY, now=7201.0)
