"""deploy/prometheus and deploy/alertmanager: promtool and amtool checks, rule unit tests, conventions.

promtool/amtool come from Debian's `prometheus` and `prometheus-alertmanager` (make install adds them);
without them these tests skip on a developer machine and fail in CI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.ops_support import (
    ALERTMANAGER_CONFIG,
    PROMETHEUS_DIR,
    PROMETHEUS_SERIES,
    RULE_FILES,
    SIGNAL_METRICS,
    WORKER_METRICS,
    dashboard_queries,
    metric_names,
    require_tool,
)

RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.test.yml"))
SEVERITIES = {"critical", "warning", "info"}


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)


def all_rules() -> list[dict[str, object]]:
    rules = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(group["rules"])
    return rules


def test_promtool_checks_the_config_and_rules() -> None:
    promtool = require_tool("promtool")
    result = run(promtool, "check", "config", PROMETHEUS_DIR / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout
    result = run(promtool, "check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass() -> None:
    promtool = require_tool("promtool")
    assert len(RULE_TESTS) >= 2
    result = run(promtool, "test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_promtool_rule_tests_catch_a_broken_rule(tmp_path: Path) -> None:
    """The rule tests are not vacuous: raising the DMZ surge threshold makes them fail."""
    promtool = require_tool("promtool")
    (tmp_path / "rules").mkdir()
    for path in RULE_FILES:
        text = path.read_text().replace('{category="dmz_incident"}) >= 5', '{category="dmz_incident"}) >= 50')
        (tmp_path / "rules" / path.name).write_text(text)
    (tmp_path / "tests").mkdir()
    test = tmp_path / "tests" / "alerts.test.yml"
    test.write_text((PROMETHEUS_DIR / "tests" / "tension-alerts.test.yml").read_text())
    result = run(promtool, "test", "rules", test)
    assert result.returncode != 0
    assert "TensionDMZIncidentSurge" in result.stdout + result.stderr


def test_every_alert_has_severity_team_and_summary() -> None:
    alerts = [rule for rule in all_rules() if "alert" in rule]
    names = {str(rule["alert"]) for rule in alerts}
    for required in (
        "TensionSpikeRegion",
        "TensionDMZIncidentSurge",
        "TensionWorkerDown",
        "TensionConsumerLagHigh",
        "TensionDeadLettersRising",
        "TensionWebhookDeliveryFailing",
        "TensionModelNotLoaded",
    ):
        assert required in names
    for rule in alerts:
        labels = rule["labels"]
        assert isinstance(labels, dict)
        assert labels["severity"] in SEVERITIES, rule["alert"]
        assert labels["team"] in ("analysts", "sre"), rule["alert"]
        assert "summary" in rule["annotations"], rule["alert"]  # type: ignore[operator]
        assert str(rule["alert"]).startswith("Tension")


def test_rules_and_dashboards_use_only_known_metrics() -> None:
    known = WORKER_METRICS | SIGNAL_METRICS | PROMETHEUS_SERIES
    recorded = {str(rule["record"]) for rule in all_rules() if "record" in rule}
    for rule in all_rules():
        expr = str(rule["expr"])
        assert metric_names(expr) <= known, (rule, metric_names(expr) - known)
        for token in expr.replace("(", " ").split():
            if ":" in token and not token.startswith(("[", '"')) and token.count(":") == 2:
                assert token.split("{")[0] in recorded, token
    for dashboard, title, expr in dashboard_queries():
        names = metric_names(expr)
        assert names, (dashboard, title)
        assert names <= known, (dashboard, title, names - known)


def test_recording_rule_names_follow_level_metric_operations() -> None:
    for rule in all_rules():
        if "record" in rule:
            level, metric, operations = str(rule["record"]).split(":")
            assert level in ("job", "region", "dyad") and metric.startswith("tension_") and operations


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses every dashboard query (as a recording rule) with Grafana's interval filled in."""
    promtool = require_tool("promtool")
    rules = [
        {"record": f"dashboard:query_{i}:check", "expr": expr.replace("$__rate_interval", "5m")}
        for i, (_, _, expr) in enumerate(dashboard_queries())
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run(promtool, "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_prometheus_config_wires_rules_and_alertmanager() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules/*.yml"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    worker = jobs["tension-worker"]
    assert worker["metrics_path"] == "/metrics"
    assert worker["dns_sd_configs"][0] == {**worker["dns_sd_configs"][0], "names": ["worker"], "port": 6066}


def test_amtool_checks_the_alertmanager_config() -> None:
    amtool = require_tool("amtool")
    result = run(amtool, "check-config", ALERTMANAGER_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "3 receivers" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=critical", "alertname=TensionWorkerDown"], "pager"),
        (["severity=critical", "alertname=TensionDMZIncidentSurge", "team=analysts"], "pager"),
        (["severity=warning", "alertname=TensionConsumerLagHigh"], "chat"),
        (["severity=info", "alertname=TensionRegionHigh"], "digest"),
        (["alertname=SomethingUnlabelled"], "chat"),
    ],
)
def test_alertmanager_routes_by_severity(labels: list[str], receiver: str) -> None:
    amtool = require_tool("amtool")
    result = run(amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_alertmanager_groups_and_inhibits() -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    assert {"alertname", "region", "category"} <= set(config["route"]["group_by"])
    receivers = {r["name"]: r for r in config["receivers"]}
    for name in ("pager", "chat", "digest"):
        assert receivers[name]["webhook_configs"][0]["url"].startswith("http")
    inhibit = config["inhibit_rules"]
    worker_down = [r for r in inhibit if "TensionWorkerDown" in " ".join(r["source_matchers"])]
    assert worker_down and worker_down[0]["equal"] == ["job"]
    critical_over_warning = [r for r in inhibit if r["source_matchers"] == ['severity="critical"']]
    assert critical_over_warning and "alertname" in critical_over_warning[0]["equal"]
    # every alert label the routes and inhibitions match on is set by the rules
    severities = {rule["labels"]["severity"] for rule in all_rules() if "alert" in rule}  # type: ignore[index]
    assert severities == SEVERITIES
