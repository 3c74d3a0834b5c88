# -*- coding: utf-8 -*-
"""The Grafana dashboard (docs/grafana/litellm-copilot.json) charts only what the proxy's meter
exports: every metric name in every query is a key of METRICS in
roles/litellm_copilot/files/copilot_meter.py, every label it filters or groups by is one of that
metric's labels (or the scrape's instance and job), and every metric is charted somewhere."""

import copy
import json
import re
import sys
from pathlib import Path

import pytest
from module_harness import load_source

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_FILE = ROOT / "docs" / "grafana" / "litellm-copilot.json"
METER_FILE = ROOT / "roles" / "litellm_copilot" / "files" / "copilot_meter.py"


def _load_without_litellm(name, path):
    """The module at path, imported with LiteLLM unimportable (files/ is not a package, and the
    metric contract must be readable where LiteLLM is not installed)."""
    def ours(key):
        return key == "litellm" or key.startswith("litellm.")

    saved = {key: module for key, module in sys.modules.items() if ours(key)}
    sys.modules.update({key: None for key in saved})
    sys.modules["litellm"] = None  # `import litellm` now raises ImportError
    try:
        return load_source(path, name)
    finally:
        for key in [key for key in sys.modules if ours(key)]:
            del sys.modules[key]
        sys.modules.update(saved)


METRICS = _load_without_litellm("_copilot_meter_contract", METER_FILE).METRICS
DASHBOARD = json.loads(DASHBOARD_FILE.read_text())

# Labels every scraped series has besides the meter's own.
SCRAPE_LABELS = {"instance", "job"}
# PromQL functions, aggregations and keywords the queries may use (and Grafana's label_values).
# Anything else that looks like a name is taken for a metric name and fails the check.
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "topk", "bottomk",
    "rate", "irate", "increase", "delta", "clamp_min", "clamp_max", "time", "vector", "scalar",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "label_values",
}
# METRICS entries no panel charts, each with the reason. Keep it short: a metric nobody charts
# should rather not be exported.
NOT_CHARTED = {
    # (none: every metric has a panel; litellm_copilot_billing_info also feeds the instance variable)
}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)?\s*\{([^{}]*)\}")
_MATCHER = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*\"\"\s*(?:,|$)")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_RANGE = re.compile(r"\[([^\]]*)\]")
_DURATION = re.compile(r"\$__(rate_interval|interval|range)|(\d+(ms|[smhdwy]))+")
_NAME = re.compile(r"(?<![\w.$])[A-Za-z_:][\w:]*")
_OURS = re.compile(r"litellm_copilot_[a-z_]+")
_LABEL_VALUES = re.compile(r"\s*label_values\(\s*(.*?)\s*,\s*([A-Za-z_]\w*)\s*\)\s*")
_LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _panels(panels):
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # a collapsed row holds its panels


def queries(dashboard):
    """(where, expr, legend, is a panel's) of every panel target and template variable query."""
    found = []
    for panel in _panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            found.append(("panel %r target %s" % (panel.get("title"), target.get("refId")),
                          target.get("expr", ""), target.get("legendFormat", ""), True))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        for expr in (query.get("query") if isinstance(query, dict) else query, variable.get("definition")):
            if expr:
                found.append(("variable %r" % variable["name"], expr, "", False))
    return found


def analyse(expr):
    """(metric names, problems) of one PromQL expression (or Grafana label_values query)."""
    problems, metrics = [], set()
    text = _STRING.sub('""', expr)
    grouping_labels = set()
    values = _LABEL_VALUES.fullmatch(text)
    if values:
        text, label = values.group(1), values.group(2)
        grouping_labels.add(label)
    for match in _SELECTOR.finditer(text):
        metric, inner = match.group(1), match.group(2)
        if not metric:
            problems.append("a selector without a metric name: {%s}" % inner)
            continue
        labels = _MATCHER.findall(inner)
        if _MATCHER.sub("", inner).strip():
            problems.append("label matchers not understood: {%s}" % inner)
        allowed = set(METRICS[metric][1]) | SCRAPE_LABELS if metric in METRICS else SCRAPE_LABELS
        problems += ["%s has no label %r" % (metric, label) for label in labels if label not in allowed]
    text = _SELECTOR.sub(lambda match: " %s " % (match.group(1) or ""), text)
    for match in _GROUPING.finditer(text):
        grouping_labels |= {label.strip() for label in match.group(2).split(",") if label.strip()}
    text = _GROUPING.sub(r" \1 ", text)
    for match in _RANGE.finditer(text):
        if not _DURATION.fullmatch(match.group(1).strip()):
            problems.append("range not understood: [%s]" % match.group(1))
    text = _RANGE.sub(" ", text)
    for name in _NAME.findall(text):
        if _OURS.fullmatch(name):
            metrics.add(name)
            if name not in METRICS:
                problems.append("%s is not a metric the meter exports" % name)
        elif name not in PROMQL_WORDS:
            problems.append("%s is neither one of the meter's metrics nor a PromQL word" % name)
    available = set().union(*(METRICS[name][1] for name in metrics if name in METRICS)) | SCRAPE_LABELS
    problems += ["grouping by %r, a label none of %s has" % (label, sorted(metrics))
                 for label in sorted(grouping_labels - available)]
    if not metrics:
        problems.append("queries none of the meter's metrics")
    return metrics, problems


def problems_of(dashboard):
    """Every way the dashboard's queries stray from the meter's METRICS, as text."""
    problems = []
    for where, expr, legend, _in_panel in queries(dashboard):
        metrics, found = analyse(expr)
        available = set().union(*(METRICS[name][1] for name in metrics if name in METRICS)) | SCRAPE_LABELS
        found += ["legend shows %r, a label none of %s has" % (label, sorted(metrics))
                  for label in _LEGEND_LABEL.findall(legend) if label not in available]
        problems += ["%s: %s (in %s)" % (where, problem, expr) for problem in found]
    return problems


def charted(dashboard):
    return set().union(*(analyse(expr)[0] for _where, expr, _legend, in_panel in queries(dashboard) if in_panel))


# --------------------------------------------------------------------------- the dashboard

def test_the_meter_contract_imports_without_litellm():
    assert METRICS and all(name.startswith("litellm_copilot_") for name in METRICS)
    for kind, labels, help_text in METRICS.values():
        assert kind in ("counter", "gauge") and isinstance(labels, tuple) and help_text


def test_every_query_uses_only_the_meters_metrics_and_labels():
    assert len(queries(DASHBOARD)) >= 10
    assert problems_of(DASHBOARD) == []


def test_every_metric_is_charted_or_said_not_to_be():
    assert set(NOT_CHARTED) <= set(METRICS), "NOT_CHARTED names a metric the meter does not export"
    used = charted(DASHBOARD)
    assert not used & set(NOT_CHARTED), "a metric listed as not charted is charted: drop it from NOT_CHARTED"
    assert set(METRICS) - used <= set(NOT_CHARTED), "no panel charts %s" % sorted(set(METRICS) - used - set(NOT_CHARTED))


def test_the_dashboard_picks_its_data_source_and_vms():
    assert 36 <= DASHBOARD["schemaVersion"] <= 41
    variables = {variable["name"]: variable for variable in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    instance = variables["instance"]
    assert instance["type"] == "query" and instance["datasource"]["uid"] == "${datasource}"
    assert instance["definition"] == instance["query"]["query"] == "label_values(litellm_copilot_billing_info, instance)"
    panels = list(_panels(DASHBOARD["panels"]))
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}" and target["refId"], panel["title"]
            # every query follows the VM picker
            assert target["expr"].count('instance=~"$instance"') == target["expr"].count("litellm_copilot_"), \
                (panel["title"], target["expr"])


# --------------------------------------------------------------------------- the check itself

@pytest.mark.parametrize("old, new", [
    ("litellm_copilot_credits_total", "litellm_copilot_credit_total"),         # a typo'd metric name
    ("litellm_copilot_tokens_total", "litellm_copilot_tokens"),                # not the counter's name
    ("litellm_copilot_billing_info, instance", "litellm_copilot_billing, instance"),  # in the variable
    ("rate(litellm_copilot_fallbacks_total", "rate(litelm_copilot_fallbacks_total"),  # not our prefix
    ("sum by (model)", "sum by (modle)"),                                      # a label no metric has
    ('{kind="cached_input",', '{knd="cached_input",'),                        # a matcher label typo'd
    ("{{initiator}}", "{{initator}}"),                                         # a legend label typo'd
    ("rate(litellm_copilot_credits_total", "ratee(litellm_copilot_credits_total"),  # not a PromQL word
    ("* 3600", "* up"),                                                        # another exporter's metric
])
def test_the_check_fails_on_a_query_that_strays(old, new):
    text = DASHBOARD_FILE.read_text()
    assert old.replace('"', '\\"') in text
    broken = json.loads(text.replace(old.replace('"', '\\"'), new.replace('"', '\\"'), 1))
    assert problems_of(broken), (old, new)


def test_the_check_fails_when_a_metric_is_not_charted():
    broken = copy.deepcopy(DASHBOARD)
    broken["panels"] = [panel for panel in broken["panels"]
                        if "litellm_copilot_fallbacks_total" not in json.dumps(panel)]
    assert set(METRICS) - charted(broken) - set(NOT_CHARTED) == {"litellm_copilot_fallbacks_total"}
    assert problems_of(broken) == []  # what is left is still right: only the coverage check catches it
