"""Every family calls OVH as OVH's schema documents each route, checked mechanically.

The families run through the real ``ovh`` client against the simulator, every call recorded: its route,
the query parameters and request headers sent, and whether a paging helper of ``otel_ovh.ovh.paging``
made it. The schema's own parameters (``tests/data/ovh-cloud-models.json``, trimmed from OVH's
``cloud.json`` by ``tools/extract_schema.py``) then decide:

- each route a family declares is a documented route, and the run called it;
- each query parameter and request header sent is declared on that route (``X-Pagination-Size`` goes
  with the cursor: OVH's paging convention, not declared route by route);
- a route declaring ``X-Pagination-Cursor`` is only ever called through ``cursor_pages``, and one
  declaring ``marker`` through ``marker_pages``: a single call would lose every item past the first page;
- every other query parameter a route declares changes which items come back (a filter); each one is
  listed in ``FILTERS`` with what the families do about it, and why.

A new family, or a new route of a family, passes only once it follows all of this.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from otel_ovh.families import FAMILIES
from otel_ovh.families.base import Scope
from otel_ovh.ovh import paging
from otel_ovh.ovh.client import Answer, OvhApi
from otel_ovh.ovh.fields import Problems
from otel_ovh.serve.app import credentials
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh
from tests.integration.conftest import settings_for
from tests.simulator.schema import MODELS_FILE

PARAMETERS: dict[str, dict[str, dict[str, str]]] = json.loads(MODELS_FILE.read_text())["parameters"]
PAGING = {"limit", "marker"}
SIZE = paging.PAGE_SIZE

# (route, query parameter) -> what the families do with a filter the schema declares, and why.
FILTERS = {
    ("/cloud/project/{serviceName}/kube/{kubeId}/nodepool/{nodePoolId}/nodes", "history"): (
        "read both ways: without it OVH lists the nodes that are not deleted, with history=true the "
        "DELETED ones only; the deleted ones still billed this period join their cost to the pool"
    ),
    ("/cloud/project/{serviceName}/usage/history", "from"): (
        "sent: the closed periods of the last months only, rather than every period of the project"
    ),
    ("/cloud/project/{serviceName}/usage/history", "to"): "not sent: every period up to now is wanted",
    ("/cloud/project/{serviceName}/usage/plans", "flavor"): "not sent: every flavor is wanted",
    ("/cloud/project/{serviceName}/usage/plans", "year"): "sent with month: OVH's current billing period",
    ("/cloud/project/{serviceName}/usage/plans", "month"): "sent with year: OVH's current billing period",
    ("/cloud/project/{serviceName}/instance", "region"): "not sent: one call lists every region",
    ("/cloud/project/{serviceName}/flavor", "region"): "not sent: one call lists every region",
    ("/cloud/project/{serviceName}/volume", "region"): "not sent: one call lists every region",
    ("/cloud/project/{serviceName}/quota", "categories"): "not sent: every category is wanted",
    ("/cloud/project/{serviceName}/storage", "includeType"): "not sent: the type is not read",
    ("/cloud/project/{serviceName}/region/{regionName}/gateway", "subnetId"): "not sent: every gateway",
    ("/order/catalog/public/cloud", "ovhSubsidiary"): (
        "sent: the subsidiary whose prices and currency apply (catalog.subsidiary, from the endpoint)"
    ),
    ("/cloud/project/{serviceName}/region/{regionName}/gateway", "withSubnets"): (
        "not sent: the subnets are not read"
    ),
    ("/me/consumption/usage/history", "beginDate"): (
        "sent (required): the first day of the oldest month backfilled"
    ),
    ("/me/consumption/usage/history", "endDate"): "sent (required): the first day of this month",
    ("/me/bill", "date.from"): (
        "sent: the first day of the oldest of the account.bill_months months (backfill: of the month)"
    ),
    ("/me/bill", "date.to"): "sent by backfill only: the month's last second; live, every bill up to now",
    ("/me/bill", "category"): "not sent: every category is wanted",
    ("/me/bill", "orderId"): "not sent: every order's bills are wanted",
    ("/me/credit/balance", "type"): "not sent: every type of balance is wanted",
    ("/services", "orderBy"): "not sent: the order does not matter",
    ("/services", "sort"): "not sent: the order does not matter",
    ("/services", "resourceName"): "not sent: every service is wanted",
    ("/services", "routes"): "not sent: every kind of service is wanted, not only Public Cloud",
}


@dataclass(frozen=True)
class Call:
    route: str
    query: frozenset[str]
    headers: frozenset[str]
    helper: str | None  # the paging helper that made the call, if any


class RecordingApi(OvhApi):
    """The real ``OvhApi``, every call noted with the paging helper it is made within."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[Call] = []
        self.within = threading.local()

    def answer(
        self,
        route: str,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        need_auth: bool = True,
    ) -> Answer:
        helper = getattr(self.within, "helper", None)
        self.calls.append(Call(route, frozenset(query or {}), frozenset(headers or {}), helper))
        return super().answer(route, path_params, query, headers, need_auth=need_auth)


def _marked(helper: Callable[..., Any], name: str) -> Callable[..., Any]:
    def within(api: RecordingApi, *args: Any, **kwargs: Any) -> Any:
        api.within.helper = name
        try:
            return helper(api, *args, **kwargs)
        finally:
            api.within.helper = None

    return within


def _family_routes() -> Iterator[str]:
    for family in FAMILIES:
        yield from family.routes
        yield from family.history_routes


def _run_every_family(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    monkeypatch.setattr(paging, "cursor_pages", _marked(paging.cursor_pages, "cursor_pages"))
    monkeypatch.setattr(paging, "marker_pages", _marked(paging.marker_pages, "marker_pages"))
    api = RecordingApi(credentials(parse_settings(settings_for(sim)).ovh), calls_per_second=0)
    for pid in sim.world.project_ids:
        for family in FAMILIES:
            scope = Scope(pid, Problems(), lambda region: True)
            family.fetch(api, scope)
            if family.history is not None:
                for period in family.history(api, scope, 2):
                    period.load()
    return api.calls


@pytest.fixture
def calls(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    return _run_every_family(sim, monkeypatch)


def _declared(route: str, kind: str) -> dict[str, str]:
    return PARAMETERS[f"GET {route}"][kind]


def test_every_family_route_is_documented_and_called(calls: list[Call]) -> None:
    routes = set(_family_routes())
    assert {r for r in routes if f"GET {r}" not in PARAMETERS} == set(), "not a route of cloud.json"
    assert routes - {call.route for call in calls} == set(), "never called here: nothing checked it"


def test_every_parameter_sent_is_declared_on_its_route(calls: list[Call]) -> None:
    wrong = set()
    for call in calls:
        for name in call.query - set(_declared(call.route, "query")):
            wrong.add(f"{call.route}: query {name}")
        headers = set(_declared(call.route, "header"))
        if paging.CURSOR in headers:
            headers.add(SIZE)
        for name in call.headers - headers:
            wrong.add(f"{call.route}: header {name}")
    assert wrong == set()


def test_paged_routes_are_read_through_the_paging_helpers(calls: list[Call]) -> None:
    unpaged = set()
    for call in calls:
        if paging.CURSOR in _declared(call.route, "header") and call.helper != "cursor_pages":
            unpaged.add(f"{call.route}: declares {paging.CURSOR}, called by {call.helper or 'a single get'}")
        if "marker" in _declared(call.route, "query") and call.helper != "marker_pages":
            unpaged.add(f"{call.route}: declares marker, called by {call.helper or 'a single get'}")
    assert unpaged == set()


def test_every_filter_a_route_declares_has_a_written_reason(calls: list[Call]) -> None:
    filters = {
        (route, name)
        for route in set(_family_routes())
        for name in _declared(route, "query")
        if name not in PAGING
    }
    assert filters - set(FILTERS) == set(), "say in FILTERS what the families do with these, and why"
    assert set(FILTERS) - filters == set(), "no longer declared or called: drop them from FILTERS"
    sent = {(call.route, name) for call in calls for name in call.query if name not in PAGING}
    assert all(FILTERS[pair].startswith(("sent", "read")) for pair in sent), sent


def test_kube_nodes_are_read_both_ways(calls: list[Call]) -> None:
    """``history`` splits the nodes in two: one call without it and one with it per nodepool."""
    route = "/cloud/project/{serviceName}/kube/{kubeId}/nodepool/{nodePoolId}/nodes"
    nodes = [call for call in calls if call.route == route]
    with_history = [call for call in nodes if "history" in call.query]
    assert nodes and len(with_history) * 2 == len(nodes)
