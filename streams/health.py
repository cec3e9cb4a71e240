"""Pipeline health metrics of a worker: consumer lag, assigned partitions, rebalances, event-loop lag.

Registered against the registry that ``/metrics`` serves, with the ``tension_`` prefix. Labels stay low
in cardinality: ``topic`` only (the handful of topics the agents consume; table changelogs are left out).
Throughput comes from the project's counters (``rate(tension_articles_total[5m])``); latency from
its histograms.

Consumer lag per topic is the sum, over the partitions assigned to *this* worker, of the partition's
high-water mark minus the group's committed offset (or, before the first commit, the next offset to be
read). ``sum by (topic) (tension_consumer_lag)`` over all replicas is the consumer group's lag. It is
refreshed by an ``app.timer`` every few seconds from offsets the Kafka client already holds: no broker
round trip.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from prometheus_client import CollectorRegistry, Counter, Gauge

log = logging.getLogger("tension.health")

REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class PartitionOffsets:
    """What the worker knows of one assigned partition."""

    topic: str
    partition: int
    highwater: int | None  # offset of the next message the broker will write (None: not fetched yet)
    committed: int | None  # the group's committed offset: next offset to consume
    read: int | None  # the offset of the last message read by this worker


def partition_lag(offsets: PartitionOffsets) -> int | None:
    """Messages not yet committed in one partition, or None while the high-water mark is unknown."""
    if offsets.highwater is None:
        return None
    if offsets.committed is not None:
        position = offsets.committed
    elif offsets.read is not None:
        position = offsets.read + 1
    else:
        position = 0
    return max(0, offsets.highwater - position)


def lag_by_topic(partitions: Iterable[PartitionOffsets]) -> tuple[dict[str, int], dict[str, int]]:
    """(lag per topic, assigned partitions per topic) over the given partitions."""
    lag: dict[str, int] = {}
    assigned: dict[str, int] = {}
    for offsets in partitions:
        assigned[offsets.topic] = assigned.get(offsets.topic, 0) + 1
        value = partition_lag(offsets)
        lag[offsets.topic] = lag.get(offsets.topic, 0) + (value or 0)
    return lag, assigned


def is_internal_topic(topic: str) -> bool:
    """Table changelogs (read only in recovery, never committed) and Faust's assignor topic."""
    return topic.endswith("-changelog") or topic.endswith("__assignor-__leader")


def consumer_offsets(consumer: Any) -> list[PartitionOffsets]:
    """Read the offsets a Faust consumer already holds in memory (no network); internal topics left out."""
    committed: Mapping[Any, int | None] = getattr(consumer, "_committed_offset", {}) or {}
    read: Mapping[Any, int | None] = getattr(consumer, "_read_offset", {}) or {}
    result = []
    for tp in sorted(consumer.assignment()):
        if is_internal_topic(tp.topic):
            continue
        try:
            highwater = consumer.highwater(tp)
        except Exception:  # not fetched yet, or the client is between assignments
            highwater = None
        result.append(
            PartitionOffsets(
                topic=tp.topic,
                partition=tp.partition,
                highwater=None if highwater is None else int(highwater),
                committed=committed.get(tp),
                read=read.get(tp),
            )
        )
    return result


@dataclass
class PipelineHealth:
    """The health metrics of one worker; :func:`install_pipeline_health` wires them to a Faust app."""

    consumer_lag: Gauge
    assigned_partitions: Gauge
    rebalances: Counter
    revocations: Counter
    last_rebalance: Gauge
    loop_lag: Gauge
    lag_refreshes: Counter
    _topics: set[str] = field(default_factory=set)

    @classmethod
    def create(cls, registry: CollectorRegistry, prefix: str = "tension") -> PipelineHealth:
        p = prefix
        return cls(
            consumer_lag=Gauge(
                f"{p}_consumer_lag",
                "Messages not yet committed, summed over the topic's partitions assigned to this worker.",
                ["topic"],
                registry=registry,
            ),
            assigned_partitions=Gauge(
                f"{p}_assigned_partitions",
                "Partitions of the topic assigned to this worker.",
                ["topic"],
                registry=registry,
            ),
            rebalances=Counter(
                f"{p}_rebalances_total",
                "Consumer group rebalances this worker took part in (partitions assigned).",
                registry=registry,
            ),
            revocations=Counter(
                f"{p}_partition_revocations_total",
                "Partition revocations at the start of a rebalance.",
                registry=registry,
            ),
            last_rebalance=Gauge(
                f"{p}_last_rebalance_timestamp_seconds",
                "Unix time of the last completed partition assignment.",
                registry=registry,
            ),
            loop_lag=Gauge(
                f"{p}_event_loop_lag_seconds",
                "How late the periodic health timer ran: a busy or blocked event loop shows here.",
                registry=registry,
            ),
            lag_refreshes=Counter(
                f"{p}_consumer_lag_refreshes_total",
                "Consumer lag refreshes (a stalled count means the health timer stopped).",
                registry=registry,
            ),
        )

    def on_assigned(self, assigned: Iterable[Any]) -> None:
        self.rebalances.inc()
        self.last_rebalance.set(time.time())
        counts: dict[str, int] = {}
        for tp in assigned:
            if is_internal_topic(tp.topic):
                continue
            counts[tp.topic] = counts.get(tp.topic, 0) + 1
        self._publish({topic: 0 for topic in counts}, counts, keep_lag=True)

    def on_revoked(self, revoked: Iterable[Any]) -> None:
        if any(True for _ in revoked):
            self.revocations.inc()

    def refresh(self, partitions: Iterable[PartitionOffsets]) -> None:
        lag, assigned = lag_by_topic(partitions)
        self._publish(lag, assigned)
        self.lag_refreshes.inc()

    def _publish(self, lag: Mapping[str, int], assigned: Mapping[str, int], keep_lag: bool = False) -> None:
        for topic in self._topics - set(assigned):
            # no longer ours: zero rather than remove, so rate()/alerts see a clean drop
            self.assigned_partitions.labels(topic=topic).set(0)
            self.consumer_lag.labels(topic=topic).set(0)
        for topic, count in assigned.items():
            self.assigned_partitions.labels(topic=topic).set(count)
            if not keep_lag:
                self.consumer_lag.labels(topic=topic).set(lag.get(topic, 0))
            else:
                self.consumer_lag.labels(topic=topic)  # the series exists from the assignment on
        self._topics |= set(assigned)


def install_pipeline_health(app: faust.App, registry: CollectorRegistry) -> None:
    """Register the pipeline health metrics on ``registry`` and keep them current from ``app``."""
    health = PipelineHealth.create(registry)

    def on_assigned(sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        health.on_assigned(args[0] if args else ())

    def on_revoked(sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        health.on_revoked(args[0] if args else ())

    app.on_partitions_assigned.connect(cast(Any, on_assigned))  # mode's handler type is too narrow
    app.on_partitions_revoked.connect(cast(Any, on_revoked))

    expected: float | None = None  # when the timer should run next (unknown before its first run)

    async def refresh_health() -> None:
        nonlocal expected
        now = time.monotonic()
        if expected is not None:
            health.loop_lag.set(max(0.0, now - expected))
        expected = now + REFRESH_SECONDS
        try:
            health.refresh(consumer_offsets(app.consumer))
        except Exception:  # a health probe must never stop the worker
            log.debug("consumer lag refresh failed", exc_info=True)

    app.timer(REFRESH_SECONDS, name="tension.health.refresh")(refresh_health)
