"""docker-compose.yml against the Compose Specification's JSON schema (no Docker engine here), plus the
stack's own wiring: services, replicas, non-root, health checks, mounted files that exist."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from tests.ops_support import REPO

SCHEMA = REPO / "tests" / "fixtures" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def validate(document: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)


def test_compose_file_matches_the_compose_schema(compose: dict[str, Any]) -> None:
    validate(compose)


def test_the_schema_rejects_a_broken_file(compose: dict[str, Any]) -> None:
    """The vendored schema is strict enough to matter."""
    broken = json.loads(json.dumps(compose))
    broken["services"]["worker"]["deploy"]["replicas"] = [2]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    broken = json.loads(json.dumps(compose))
    broken["services"]["worker"]["depends_on"]["topics"]["condition"] = "service_ready"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    broken = json.loads(json.dumps(compose))
    broken["services"]["grafana"]["helthcheck"] = {}
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_the_stack_has_every_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"kafka", "topics", "worker", "producer", "prometheus", "alertmanager", "grafana"}
    assert services["producer"]["profiles"] == ["demo"]  # optional


def test_kafka_runs_in_kraft_mode(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert "healthcheck" in kafka
    topics = compose["services"]["topics"]
    script = topics["command"][0]
    for topic in ("articles", "articles.scored", "articles.dlq", "tension.alerts", "tension.alerts.dlq"):
        assert topic in script
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_two_non_root_worker_replicas_with_a_health_check(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert not worker["user"].startswith("0")
    assert "/healthz" in " ".join(worker["healthcheck"]["test"])
    env = worker["environment"]
    assert env["TENSION_WEB_HOST"] == "0.0.0.0" and env["TENSION_WEB_PORT"] == "6066"
    # one consumer group: no per-replica app id, so the replicas share the partitions
    assert "TENSION_APP_ID" not in env
    dockerfile = (REPO / worker["build"]["dockerfile"]).read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*healthz", dockerfile, re.M)


def test_monitoring_services_are_provisioned_from_the_repo(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("prometheus", "alertmanager", "grafana", "alert-webhook"):
        for volume in services[name].get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
    prometheus_args = " ".join(services["prometheus"]["command"])
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus_args
    assert "alertmanager" in services["prometheus"]["depends_on"]
    grafana_mounts = " ".join(services["grafana"]["volumes"])
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning" in grafana_mounts
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards" in grafana_mounts
    am = yaml.safe_load((REPO / "deploy" / "alertmanager" / "alertmanager.yml").read_text())
    urls = {c["url"] for r in am["receivers"] for c in r.get("webhook_configs", [])}
    assert all(url.startswith("http://alert-webhook:9099/") for url in urls)
    assert "9099" in services["alert-webhook"]["expose"]
