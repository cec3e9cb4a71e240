"""Kafka topics: bootstrap addresses from the Faust URL, and creating the topics the worker uses."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from models.errors import ConfigError
from streams.settings import Settings

log = logging.getLogger("tension.topics")


def bootstrap_servers(kafka_url: str) -> list[str]:
    """``kafka://h1:9092;h2:9092`` (Faust style) -> ``["h1:9092", "h2:9092"]``."""
    servers = []
    for part in kafka_url.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        if "://" in part:
            scheme, part = part.split("://", 1)
            if scheme not in ("kafka", "aiokafka", "plaintext"):
                raise ConfigError("TENSION_KAFKA_URL", f"unsupported scheme {scheme!r} in {kafka_url!r}")
        servers.append(part.rstrip("/"))
    if not servers:
        raise ConfigError("TENSION_KAFKA_URL", f"no broker address in {kafka_url!r}")
    return servers


def topic_names(settings: Settings) -> list[str]:
    return [
        settings.topic(name)
        for name in (
            settings.topic_articles,
            settings.topic_scored,
            settings.topic_dlq,
            settings.topic_alerts,
            settings.topic_alerts_dlq,
            settings.topic_signals,
            settings.topic_updates,
        )
    ]


def ensure_topics(settings: Settings, timeout_ms: int = 30_000) -> list[str]:
    """Create the project's topics (with ``topic_partitions`` partitions) when missing; return the new ones.

    The source topics must have as many partitions as the tables' changelogs, so the worker makes sure of it
    before Faust starts instead of relying on broker auto-creation defaults.
    """
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers(settings.kafka_url),
            client_id=f"{settings.app_id}-admin",
            request_timeout_ms=timeout_ms,
        )
    except KafkaError as exc:
        raise ConfigError("TENSION_KAFKA_URL", f"cannot reach Kafka at {settings.kafka_url}: {exc}") from exc
    try:
        existing = set(admin.list_topics())
        wanted = [name for name in topic_names(settings) if name not in existing]
        created = []
        for name in wanted:
            try:
                admin.create_topics(
                    [NewTopic(name, num_partitions=settings.topic_partitions, replication_factor=1)],
                    timeout_ms=timeout_ms,
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created topics %s", ", ".join(created))
        return created
    finally:
        admin.close()
