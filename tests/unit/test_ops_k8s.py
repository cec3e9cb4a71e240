"""deploy/k8s: the core resources against Kubernetes' OpenAPI schemas (kubernetes-validate, offline, strict),
the KEDA ScaledObject against KEDA's CRD schema (@kubernetes-models/keda, run with node), and the wiring
between them (scale target, consumer group, partitions, probes, resources, non-root)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops_support import DEPLOY, REPO, is_ci, require_tool

K8S = DEPLOY / "k8s"
KEDA_TOOL = REPO / "tests" / "tools" / "keda-validate"
KUBERNETES_VERSION = "1.30.0"


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in documents() if d["kind"] == kind]


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, "1.33.0"])
def test_core_resources_match_the_kubernetes_schemas(version: str) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="dev dependency")
    checked = set()
    for doc in documents():
        if doc["apiVersion"].startswith("keda.sh/"):
            continue
        kubernetes_validate.validate(doc, version, strict=True)  # raises ValidationError
        checked.add(doc["kind"])
    assert checked == {"Namespace", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}


def test_the_kubernetes_schemas_reject_a_broken_deployment() -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="dev dependency")
    (deployment,) = by_kind("Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["paht"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.fixture(scope="module")
def keda_validator() -> list[str]:
    """node + @kubernetes-models/keda (pinned in tests/tools/keda-validate), installed once in .cache."""
    node = require_tool("node")
    npm = require_tool("npm")
    target = REPO / ".cache" / "keda-validate"
    stamp = target / "node_modules" / "@kubernetes-models" / "keda" / "package.json"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "validate.mjs"):
        shutil.copyfile(KEDA_TOOL / name, target / name)
    if not stamp.is_file():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=target,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            message = f"npm ci for the KEDA schema failed: {result.stderr[-500:]}"
            if is_ci():
                pytest.fail(message)
            pytest.skip(message)
    return [node, str(target / "validate.mjs")]


def test_scaled_object_matches_the_keda_crd_schema(keda_validator: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [*keda_validator, str(K8S / "scaledobject.yaml")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok " in result.stdout
    broken = yaml.safe_load((K8S / "scaledobject.yaml").read_text())
    broken["spec"]["minReplicaCount"] = "two"
    del broken["spec"]["triggers"][0]["type"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = subprocess.run([*keda_validator, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "minReplicaCount" in result.stdout and "type" in result.stdout


def test_workers_are_wired_for_scaling_on_consumer_lag() -> None:
    (deployment,) = by_kind("Deployment")
    (config,) = by_kind("ConfigMap")
    (scaled,) = by_kind("ScaledObject")
    (service,) = by_kind("Service")
    spec = scaled["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["consumerGroup"] == config["data"]["TENSION_APP_ID"]  # the Faust app id is the group
    assert meta["topic"] == "articles"
    assert meta["bootstrapServers"] == config["data"]["TENSION_KAFKA_URL"].removeprefix("kafka://")
    assert int(meta["lagThreshold"]) > 0
    partitions = int(config["data"]["TENSION_TOPIC_PARTITIONS"])
    # replicas beyond the partition count would idle
    assert (
        1
        <= spec["minReplicaCount"]
        <= deployment["spec"]["replicas"]
        <= spec["maxReplicaCount"]
        <= partitions
    )
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_worker_pods_have_probes_resources_and_run_as_non_root() -> None:
    (deployment,) = by_kind("Deployment")
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["replicas"] == 2
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "6066"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["runAsUser"] != 0
    (container,) = pod["spec"]["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["envFrom"][0]["configMapRef"]["name"] == by_kind("ConfigMap")[0]["metadata"]["name"]
    secret = container["env"][0]["valueFrom"]["secretKeyRef"]
    assert container["env"][0]["name"] == "TENSION_WEBHOOK_SECRET" and secret["optional"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert by_kind("ConfigMap")[0]["data"]["TENSION_DATA_DIR"] in mounts  # writable with a read-only root
