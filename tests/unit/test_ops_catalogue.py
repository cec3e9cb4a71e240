"""The README's metrics catalogue lists every metric a worker exports, and nothing it does not."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry

from streams.health import PipelineHealth
from streams.metrics import TensionMetrics
from tests.ops_support import REPO, SIGNAL_METRICS, WORKER_METRICS


def exported() -> set[str]:
    registry = CollectorRegistry()
    TensionMetrics.create(registry)
    PipelineHealth.create(registry)
    names = set()
    for family in registry.collect():
        names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def catalogue() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(tension_[a-z0-9_]+)` \|", section, flags=re.M))


def test_readme_catalogue_matches_the_registry() -> None:
    assert catalogue() == exported()


def test_the_ops_tests_know_every_metric() -> None:
    assert exported() == WORKER_METRICS | SIGNAL_METRICS
