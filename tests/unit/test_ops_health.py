"""streams/health.py: consumer lag, assignment and rebalance metrics, without a broker."""

from __future__ import annotations

from typing import Any

import faust
import pytest
from faust.types import TP
from prometheus_client import CollectorRegistry, generate_latest

from streams.health import (
    PartitionOffsets,
    PipelineHealth,
    consumer_offsets,
    install_pipeline_health,
    lag_by_topic,
    partition_lag,
)
from streams.metrics import TensionMetrics


class FakeConsumer:
    """The parts of a Faust consumer that the health refresh reads (all in memory)."""

    def __init__(self, highwaters: dict[TP, int | None], committed: dict[TP, int], read: dict[TP, int]):
        self._highwaters = highwaters
        self._committed_offset = committed
        self._read_offset = read

    def assignment(self) -> set[TP]:
        return set(self._highwaters)

    def highwater(self, tp: TP) -> int:
        value = self._highwaters[tp]
        if value is None:
            raise KeyError(tp)
        return value


def test_partition_lag_prefers_the_committed_offset() -> None:
    assert partition_lag(PartitionOffsets("articles", 0, highwater=100, committed=60, read=90)) == 40
    # before the first commit: the next offset to read
    assert partition_lag(PartitionOffsets("articles", 0, highwater=100, committed=None, read=89)) == 10
    # nothing read nor committed: everything is lag
    assert partition_lag(PartitionOffsets("articles", 0, highwater=7, committed=None, read=None)) == 7
    # high-water mark not fetched yet: unknown, not zero
    assert partition_lag(PartitionOffsets("articles", 0, highwater=None, committed=5, read=5)) is None
    # never negative (a commit can race ahead of a cached high-water mark)
    assert partition_lag(PartitionOffsets("articles", 0, highwater=5, committed=9, read=8)) == 0


def test_lag_is_summed_per_topic() -> None:
    lag, assigned = lag_by_topic(
        [
            PartitionOffsets("articles", 0, 10, 4, None),
            PartitionOffsets("articles", 1, 20, 20, None),
            PartitionOffsets("articles", 2, None, None, None),
            PartitionOffsets("tension.alerts", 0, 3, 1, None),
        ]
    )
    assert lag == {"articles": 6, "tension.alerts": 2}
    assert assigned == {"articles": 3, "tension.alerts": 1}


def test_consumer_offsets_reads_memory_and_skips_internal_topics() -> None:
    consumer = FakeConsumer(
        highwaters={
            TP("articles", 0): 50,
            TP("articles", 1): None,
            TP("tension-app-seen-articles-changelog", 0): 900,
            TP("tension-app-__assignor-__leader", 0): 3,
        },
        committed={TP("articles", 0): 45},
        read={TP("articles", 1): 7},
    )
    offsets = consumer_offsets(consumer)
    assert offsets == [
        PartitionOffsets("articles", 0, highwater=50, committed=45, read=None),
        PartitionOffsets("articles", 1, highwater=None, committed=None, read=7),
    ]


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_health_metrics_follow_assignment_and_revocation() -> None:
    registry = CollectorRegistry()
    health = PipelineHealth.create(registry)
    health.on_assigned({TP("articles", 0), TP("articles", 1), TP("app-seen-articles-changelog", 0)})
    assert _sample(registry, "tension_rebalances_total") == 1
    assert _sample(registry, "tension_assigned_partitions", topic="articles") == 2
    assert _sample(registry, "tension_assigned_partitions", topic="app-seen-articles-changelog") is None
    assert _sample(registry, "tension_consumer_lag", topic="articles") == 0  # exists from the start
    assert (_sample(registry, "tension_last_rebalance_timestamp_seconds") or 0) > 1.7e9

    health.refresh(
        [PartitionOffsets("articles", 0, 30, 10, None), PartitionOffsets("articles", 1, 5, 5, None)]
    )
    assert _sample(registry, "tension_consumer_lag", topic="articles") == 20
    assert _sample(registry, "tension_consumer_lag_refreshes_total") == 1

    health.on_revoked({TP("articles", 0), TP("articles", 1)})
    health.on_assigned({TP("tension.alerts", 3)})
    health.refresh([PartitionOffsets("tension.alerts", 3, 2, 1, None)])
    # a topic no longer assigned drops to zero instead of keeping a stale lag
    assert _sample(registry, "tension_consumer_lag", topic="articles") == 0
    assert _sample(registry, "tension_assigned_partitions", topic="articles") == 0
    assert _sample(registry, "tension_consumer_lag", topic="tension.alerts") == 1
    assert _sample(registry, "tension_rebalances_total") == 2
    assert _sample(registry, "tension_partition_revocations_total") == 1
    health.on_revoked(set())  # an empty revocation (first join) is not counted
    assert _sample(registry, "tension_partition_revocations_total") == 1


def test_names_follow_the_project_conventions() -> None:
    registry = CollectorRegistry()
    PipelineHealth.create(registry).on_assigned({TP("articles", 0)})
    text = generate_latest(registry).decode()
    types = {
        line.split(" ")[2]: line.split(" ")[3] for line in text.splitlines() if line.startswith("# TYPE")
    }
    assert types and all(name.startswith("tension_") for name in types)
    for name, kind in types.items():
        assert (kind == "counter") == name.endswith("_total"), name
    assert "tension_event_loop_lag_seconds" in types


async def test_install_on_a_faust_app_wires_the_signals() -> None:
    registry = CollectorRegistry()
    TensionMetrics.create(registry)  # side by side with the project's metrics: no name clash
    app = faust.App("health-test", broker="kafka://127.0.0.1:1", autodiscover=False, web_enabled=False)
    install_pipeline_health(app, registry)
    await app.on_partitions_assigned.send({TP("articles", 0), TP("articles", 2)})
    await app.on_partitions_revoked.send({TP("articles", 0)})
    assert registry.get_sample_value("tension_rebalances_total") == 1
    assert registry.get_sample_value("tension_partition_revocations_total") == 1
    assert registry.get_sample_value("tension_assigned_partitions", {"topic": "articles"}) == 2
    timers = [task for task in _app_tasks(app) if "refresh_health" in getattr(task, "__qualname__", "")]
    assert timers, "the lag refresh timer was not registered"


def _app_tasks(app: Any) -> list[Any]:
    tasks = getattr(app, "_app_tasks", None)
    if tasks is None:
        pytest.skip("this Faust version keeps its tasks elsewhere")
    return list(tasks)
