"""Shared helpers of the operations-stack tests (tests/unit/test_ops_*.py, tests/integration)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
DASHBOARD_DIR = DEPLOY / "grafana" / "dashboards"

# Metrics the worker exports today (streams/metrics.py, streams/health.py) ...
WORKER_METRICS = {
    "tension_articles_total",
    "tension_article_labels_total",
    "tension_article_score",
    "tension_article_tension",
    "tension_processing_seconds",
    "tension_end_to_end_seconds",
    "tension_batch_size",
    "tension_dead_letters_total",
    "tension_alerts_total",
    "tension_webhook_deliveries_total",
    "tension_webhook_delivery_seconds",
    "tension_model_info",
    "tension_consumer_lag",
    "tension_assigned_partitions",
    "tension_rebalances_total",
    "tension_partition_revocations_total",
    "tension_last_rebalance_timestamp_seconds",
    "tension_event_loop_lag_seconds",
    "tension_consumer_lag_refreshes_total",
    "tension_alerts_suppressed_total",
}
# ... and the windowed signal metrics of the aggregate agent (issue 4).
SIGNAL_METRICS = {
    "tension_region_articles",
    "tension_region_tension",
    "tension_region_zscore",
    "tension_dyad_articles",
    "tension_dyad_tension",
    "tension_dyad_zscore",
    "tension_signals_total",
}
# Prometheus' own series the rules and dashboards use.
PROMETHEUS_SERIES = {"up", "ALERTS"}

_METRIC = re.compile(r"(?<![:\w])(tension_[a-z0-9_]+|up|ALERTS)(?![:\w])")
_HISTOGRAM_SUFFIX = re.compile(r"_(bucket|count|sum)$")


def is_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """The path of a command-line tool; skip without it on a developer machine, fail in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not installed (make install adds it on Debian/Ubuntu)"
        if is_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


def metric_names(expr: str) -> set[str]:
    """Base metric names referenced by a PromQL expression (histogram suffixes removed)."""
    names = set()
    for token in _METRIC.findall(expr):  # recording-rule names (they contain ':') are left out
        names.add(_HISTOGRAM_SUFFIX.sub("", token))
    return names


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expr) of every query in the committed dashboards."""
    result = []
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                result.append((path.name, panel["title"], target["expr"]))
    return result
