"""Shared helpers for the tests of the shipped artifacts: dashboard, alert rules, deploy files.

``dashboard_expressions()`` and ``rule_expressions()`` are also meant for an end-to-end test that runs
every shipped query against a real Prometheus scraping the simulator.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DASHBOARD = REPO / "dashboards" / "otel-ovh.json"
RULES = REPO / "alerts" / "otel-ovh.rules.yml"
BUDGET_EXAMPLE = REPO / "alerts" / "budgets.example.yml"
RULE_TESTS = REPO / "alerts" / "tests"
ALERTS_DOC = REPO / "docs" / "alerts.md"

# Labels Prometheus itself adds to every scraped series.
TARGET_LABELS = frozenset({"job", "instance"})

# Series that are not in otel_ovh.export.catalog but that the dashboard and rules may use, with their labels
# beyond the target labels: the process metrics the exporter reports about itself in scrape mode
# (prometheus_client's process and GC collectors), Prometheus' own `up`, the OTel resource as
# `target_info`, and the user-defined budget series of the budget convention (alerts/budgets.example.yml).
EXTRA_METRICS: dict[str, frozenset[str]] = {
    "process_cpu_seconds_total": frozenset(),
    "process_resident_memory_bytes": frozenset(),
    "process_virtual_memory_bytes": frozenset(),
    "process_start_time_seconds": frozenset(),
    "process_open_fds": frozenset(),
    "process_max_fds": frozenset(),
    "python_gc_collections_total": frozenset({"generation"}),
    "up": frozenset(),
    "target_info": frozenset({"service_name", "service_version", "service_instance_id"}),
    "ovh_cloud_budget": frozenset({"cloud_account_id", "ovh_currency"}),
    # Recorded by alerts/otel-ovh.rules.yml, and the user's own threshold (docs/alerts.md#idle-spend).
    "ovh_cloud_idle_spend": frozenset({"cloud_account_id", "ovh_project_name", "ovh_currency"}),
    "ovh_cloud_idle_spend_threshold": frozenset({"cloud_account_id", "ovh_currency"}),
    # The user's own notice before a service expires (docs/alerts.md#ovhaccountserviceexpiringsoon).
    "ovh_account_service_expiry_notice_days": frozenset(),
}

# What Grafana puts in place of its built-in variables when it runs a query (typical values).
_GRAFANA_BUILTINS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1d",
    "__interval_ms": "60000",
    "__range_s": "86400",
    "__range_ms": "86400000",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


def load_dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def iter_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows' nested panels (collapsed rows) included, rows themselves excluded."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def substitute_variables(expr: str, value: str = ".*") -> str:
    """Replace Grafana variables: built-ins by typical values, dashboard variables by ``value``."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return _GRAFANA_BUILTINS.get(name, value)

    return _VARIABLE.sub(replace, expr)


def raw_dashboard_expressions() -> list[tuple[str, str]]:
    """``[(panel title, expr)]`` exactly as written in the dashboard."""
    return [
        (panel.get("title", ""), target["expr"])
        for panel in iter_panels(load_dashboard())
        for target in panel.get("targets", [])
        if not target.get("hide") and target.get("expr")
    ]


def dashboard_expressions() -> list[tuple[str, str]]:
    """``[(panel title, expr)]`` ready for Prometheus: variables ``.*``, ``$__rate_interval`` 5m…"""
    return [(title, substitute_variables(expr)) for title, expr in raw_dashboard_expressions()]


def load_rule_groups(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups: list[dict[str, Any]] = data["groups"]
    return groups


def rule_expressions(paths: Iterable[Path] = (RULES, BUDGET_EXAMPLE)) -> list[tuple[str, str]]:
    """``[(alert or record name, expr)]`` of the shipped rule files."""
    return [
        (rule.get("alert") or rule["record"], rule["expr"])
        for path in paths
        for group in load_rule_groups(path)
        for rule in group["rules"]
    ]


def promtool() -> str:
    """The promtool binary; its absence is a failure (the Debian package 'prometheus' provides it)."""
    found = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    if found is None:
        raise AssertionError("promtool not found: install the Debian package 'prometheus'")
    return found


def run_promtool(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


# --------------------------------------------------------------------------------------------------
# A small PromQL reader: enough to list the metrics, label matchers and grouping labels a query uses.

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    |(?P<range>\[[^\]]*\])
    |(?P<duration>(?:\d+(?:ms|[smhdwy]))+(?![\w.]))
    |(?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    |(?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){},@])
    """,
    re.VERBOSE,
)
AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
     "quantile", "limitk", "limit_ratio"}
)
# Keywords followed by a parenthesised list of label names.
LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
OTHER_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "start", "end"})
MATCH_OPS = frozenset({"=", "!=", "=~", "!~"})


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str


@dataclass(frozen=True)
class Selector:
    metric: str | None  # None for a bare ``{__name__=~"…"}`` selector
    matchers: tuple[Matcher, ...]

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(m.label for m in self.matchers)

    def matcher(self, label: str) -> Matcher | None:
        return next((m for m in self.matchers if m.label == label), None)


@dataclass
class QueryRefs:
    selectors: list[Selector] = field(default_factory=list)
    grouping_labels: set[str] = field(default_factory=set)

    @property
    def metrics(self) -> set[str]:
        return {s.metric for s in self.selectors if s.metric is not None}


def tokenize(expr: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if match is None:
            raise ValueError(f"unexpected character {expr[pos]!r} at {pos} in {expr!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "ws":
            tokens.append((kind, match.group()))
        pos = match.end()
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return body if literal.startswith("`") else re.sub(r"\\(.)", r"\1", body)


def _matchers(tokens: list[tuple[str, str]], start: int) -> tuple[tuple[Matcher, ...], int]:
    """Read ``{a="x", b=~"y"}`` from the ``{`` at ``start``: the matchers and the index after ``}``."""
    found: list[Matcher] = []
    i = start + 1
    while tokens[i][1] != "}":
        if tokens[i][1] == ",":
            i += 1
            continue
        (kind, label), (_, op), (vkind, value) = tokens[i], tokens[i + 1], tokens[i + 2]
        if kind != "ident" or op not in MATCH_OPS or vkind != "string":
            raise ValueError(f"cannot read label matcher at {tokens[i:i + 3]}")
        found.append(Matcher(label, op, _unquote(value)))
        i += 3
    return tuple(found), i + 1


def parse_promql(expr: str) -> QueryRefs:
    """The selectors (metric + matchers) and grouping labels of ``expr`` (Grafana variables allowed)."""
    tokens = tokenize(expr)  # dashboard variables may only stand in strings and range brackets
    refs = QueryRefs()
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else None
        if kind == "op" and text == "{":  # a selector without a metric name
            matchers, i = _matchers(tokens, i)
            refs.selectors.append(Selector(None, matchers))
            continue
        if kind != "ident":
            i += 1
            continue
        if text in LABEL_LIST_KEYWORDS and following == "(":
            i += 2
            while tokens[i][1] != ")":
                if tokens[i][0] == "ident":
                    refs.grouping_labels.add(tokens[i][1])
                i += 1
            i += 1
            continue
        if text in OTHER_KEYWORDS or text in AGGREGATIONS or following == "(":
            i += 1
            continue
        if following == "{":
            matchers, i = _matchers(tokens, i + 1)
        else:
            matchers, i = (), i + 1
        refs.selectors.append(Selector(text, matchers))
    return refs


def legend_labels(legend: str) -> set[str]:
    return set(re.findall(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}", legend))


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>.+?)\s*,\s*)?(?P<label>\w+)\s*\)\s*$")


def parse_label_values(query: str) -> tuple[str | None, str]:
    """``label_values(selector, label)`` of a Grafana variable → (selector or None, label)."""
    match = _LABEL_VALUES.match(query)
    if match is None:
        raise ValueError(f"not a label_values() query: {query!r}")
    return match.group("selector"), match.group("label")


def metric_catalog() -> dict[str, frozenset[str]]:
    """Prometheus name → label names, from ``otel_ovh.export.catalog`` plus :data:`EXTRA_METRICS`."""
    from otel_ovh.export.catalog import (
        CATALOG,  # lazily: a broken package fails these tests, not their import
    )

    known = {entry.prometheus_name: frozenset(entry.prometheus_labels) for entry in CATALOG}
    return {**known, **EXTRA_METRICS}


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def markdown_anchors(path: Path) -> set[str]:
    return {
        github_anchor(m.group(1))
        for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    }


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _selector_metrics(selector: Selector, catalog: dict[str, frozenset[str]]) -> list[str]:
    """The catalog metrics a selector reads: its name, or those its ``__name__`` matcher matches."""
    if selector.metric is not None:
        return [selector.metric] if selector.metric in catalog else []
    name = selector.matcher("__name__")
    if name is None:
        return []
    pattern = re.compile(name.value if name.op == "=~" else re.escape(name.value))
    return [metric for metric in catalog if pattern.fullmatch(metric)]


def unknown_references(expr: str, catalog: dict[str, frozenset[str]], legend: str = "") -> list[str]:
    """What ``expr`` (and its legend) names that the catalog does not have: metrics, then labels.

    Matchers must use labels of their own metric; ``by``/``on``/… lists and legend placeholders labels of
    some metric of the expression. Target labels (job, instance) are always allowed.
    """
    refs = parse_promql(expr)
    problems: list[str] = []
    in_expr: set[str] = set(TARGET_LABELS)
    for selector in refs.selectors:
        metrics = _selector_metrics(selector, catalog)
        if not metrics:
            problems.append(f"unknown metric in selector {selector}")
        for metric in metrics:
            allowed = catalog[metric] | TARGET_LABELS | {"__name__"}
            in_expr |= catalog[metric]
            problems += [f"{metric} has no label {m}" for m in sorted(selector.labels - allowed)]
    for label in sorted(refs.grouping_labels - in_expr):
        problems.append(f"no metric of the query has label {label} (by/on/... list)")
    for label in sorted(legend_labels(legend) - in_expr):
        problems.append(f"no metric of the query has label {label} (legend)")
    return problems


def check_expressions_with_promtool(expressions: list[tuple[str, str]], workdir: Path) -> str:
    """Run ``promtool check rules`` on every expression written as a recording rule; return its output."""
    rules = [{"record": f"artifact_check:expr_{n}", "expr": expr} for n, (_, expr) in enumerate(expressions)]
    path = workdir / "expressions.rules.yml"
    document = {"groups": [{"name": "artifact-check", "rules": rules}]}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = run_promtool("check", "rules", path)
    listing = "\n".join(f"expr_{n} ({title}): {expr}" for n, (title, expr) in enumerate(expressions))
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{listing}"
    return result.stdout
