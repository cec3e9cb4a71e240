"""deploy/grafana: dashboards built as code (committed JSON up to date), provisioning consistent."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

import pytest
import yaml

from tests.ops_support import DASHBOARD_DIR, DEPLOY, dashboard_queries

GRAFANA = DEPLOY / "grafana"


def load_generator() -> ModuleType:
    pytest.importorskip("grafana_foundation_sdk", reason="dev dependency: pip install -e '.[dev]'")
    spec = importlib.util.spec_from_file_location("tension_dashboards", GRAFANA / "dashboards.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def boards() -> dict[str, dict[str, object]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def test_committed_json_is_what_the_code_builds() -> None:
    generator = load_generator()
    assert set(generator.DASHBOARDS) == set(boards())
    for name, factory in generator.DASHBOARDS.items():
        assert (DASHBOARD_DIR / name).read_text() == generator.render(factory()), (
            f"{name} is stale: run .venv/bin/python deploy/grafana/dashboards.py"
        )
    assert generator.main(["--check"]) == 0


def test_two_dashboards_with_enough_panels() -> None:
    found = boards()
    assert set(found) == {"tension-overview.json", "tension-pipeline.json"}
    panels = [p for board in found.values() for p in board["panels"]]  # type: ignore[attr-defined]
    assert len(panels) >= 12
    for board in found.values():
        uids = {board["uid"] for board in found.values()}
        assert len(uids) == len(found)
        assert board["title"] and board["tags"] == ["tension-monitor"]
        for panel in board["panels"]:  # type: ignore[attr-defined]
            assert panel["title"] and panel["targets"], panel
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "prometheus" and target["expr"].strip()
            grid = panel["gridPos"]
            assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24


def test_the_issue_panels_are_there() -> None:
    titles = {title for _, title, _ in dashboard_queries()}
    exprs = " ".join(expr for _, _, expr in dashboard_queries())
    for wanted in (
        "Tension index by region (1 h max)",
        "Labels per category / s",
        "Top dyads (24 h)",
        "Firing alerts",
        "Throughput by outcome",
        "Processing latency p50 / p99",
        "Consumer lag by topic",
        "Dead letters by reason / s",
        "Webhook deliveries by outcome / s",
        "Model version",
    ):
        assert wanted in titles
    assert "histogram_quantile(0.5" in exprs and "histogram_quantile(0.99" in exprs


def test_provisioning_points_at_the_datasource_and_the_dashboards() -> None:
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert source["uid"] == "prometheus" and source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "tension.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
