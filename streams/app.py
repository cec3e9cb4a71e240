"""The Faust application, built by a factory: topics, tables, agents and the /metrics page.

Agent bodies stay short: the decisions (validate, score, alert, deliver) live in plain modules.
"""

from __future__ import annotations

import json
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

import faust
import httpx
from faust.streams import _current_event
from faust.types import EventT, StreamT
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from models.errors import InputError
from streams.alerts import Alert, article_alerts
from streams.delivery import RetryPolicy, WebhookSender
from streams.metrics import TensionMetrics
from streams.records import Article, parse_article
from streams.scoring import ArticleScorer, load_scorer
from streams.settings import Settings

log = logging.getLogger("tension.worker")


def _bind_event(event: EventT[Any]) -> None:
    """Make ``event`` the current event, so a table write goes to the changelog partition of *this*
    event (``take_events`` hands over a whole batch, while Faust binds only the last one)."""
    _current_event.set(weakref.ref(event))


def dead_letter_headers(
    error: InputError, topic: str, partition: int, offset: int
) -> list[tuple[str, bytes]]:
    return [
        ("x-dlq-reason", error.reason.encode()),
        ("x-dlq-detail", error.detail.encode("utf-8", "replace")[:2000]),
        ("x-source-topic", topic.encode()),
        ("x-source-partition", str(partition).encode()),
        ("x-source-offset", str(offset).encode()),
    ]


@dataclass
class TensionApp:
    """The Faust app and the parts a test or the CLI needs to reach."""

    app: faust.App
    settings: Settings
    metrics: TensionMetrics
    scorer: ArticleScorer
    articles_topic: Any
    scored_topic: Any
    dlq_topic: Any
    alerts_topic: Any
    alerts_dlq_topic: Any
    seen: Any
    delivered: Any
    classify: Any
    notify: Any


def create_app(
    settings: Settings,
    *,
    scorer: ArticleScorer | None = None,
    registry: CollectorRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> TensionApp:
    registry_: CollectorRegistry = registry if registry is not None else CollectorRegistry()
    metrics = TensionMetrics.create(registry_)
    scorer_: ArticleScorer = scorer if scorer is not None else load_scorer(settings.model_path)
    metrics.init_categories(scorer_.categories, scorer_.version)

    app = faust.App(
        settings.app_id,
        broker=settings.kafka_url,
        store="memory://",
        datadir=str(settings.data_dir),
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        topic_allow_declare=True,
        web_enabled=True,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        producer_max_request_size=4 * settings.max_message_bytes,
        consumer_max_fetch_size=8 * settings.max_message_bytes,
        broker_session_timeout=10,
        broker_heartbeat_interval=3,
        consumer_auto_offset_reset="earliest",
        stream_wait_empty=False,
        table_standby_replicas=0,
    )
    articles_topic = app.topic(
        settings.topic(settings.topic_articles),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    dlq_topic = app.topic(
        settings.topic(settings.topic_dlq),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    scored_topic = app.topic(
        settings.topic(settings.topic_scored), key_serializer="raw", value_serializer="json"
    )
    alerts_topic = app.topic(
        settings.topic(settings.topic_alerts), key_serializer="raw", value_serializer="json"
    )
    alerts_dlq_topic = app.topic(
        settings.topic(settings.topic_alerts_dlq), key_serializer="raw", value_serializer="json"
    )
    # Article ids already scored, and alert ids already delivered: both recovered from their changelogs,
    # so a restart neither re-scores (double counts) an article nor re-sends a delivered alert.
    seen = app.Table(
        "seen-articles", default=None, key_type=str, value_type=float, partitions=settings.topic_partitions
    )
    delivered = app.Table(
        "delivered-alerts", default=None, key_type=str, value_type=str, partitions=settings.topic_partitions
    )

    async def dead_letter(event: EventT[Any], error: InputError) -> None:
        message = event.message
        metrics.dead_letters.labels(kind="article", reason=error.reason).inc()
        metrics.articles.labels(outcome="dead_lettered").inc()
        log.warning("dead letter %s[%s]@%s: %s", message.topic, message.partition, message.offset, error)
        await dlq_topic.send(
            key=message.key,
            value=message.value,
            headers=dead_letter_headers(error, message.topic, message.partition, message.offset),
        )

    async def handle_batch(events: list[EventT[Any]]) -> None:
        started = time.perf_counter()
        accepted: list[tuple[EventT[Any], Article]] = []
        batch_ids: set[str] = set()
        for event in events:
            try:
                article = parse_article(event.message.value or b"", max_bytes=settings.max_message_bytes)
            except InputError as exc:
                await dead_letter(event, exc)
                continue
            if article.id in batch_ids or seen.get(article.id) is not None:
                metrics.articles.labels(outcome="duplicate").inc()
                continue
            batch_ids.add(article.id)
            accepted.append((event, article))
        metrics.batch_size.observe(len(events))
        results = scorer_.score([article for _, article in accepted])
        for (event, _), result in zip(accepted, results, strict=True):
            if result.error is not None or result.record is None:
                await dead_letter(event, result.error or InputError("bad_text", "could not be scored"))
                continue
            record = result.record
            now = time.time()
            ingested = event.message.timestamp
            record["timings"]["ingested_at"] = ingested
            record["timings"]["scored_at"] = round(now, 6)
            await scored_topic.send(key=record["id"].encode("utf-8"), value=record)
            _bind_event(event)
            seen[record["id"]] = now
            metrics.articles.labels(outcome="scored").inc()
            metrics.tension.observe(record["tension"])
            metrics.end_to_end_seconds.observe(max(0.0, now - ingested))
            for category, score in record["scores"].items():
                metrics.scores.labels(category=category).observe(score)
            for category in record["labels"]:
                metrics.labels.labels(category=category, language=record["language"]).inc()
            for alert in article_alerts(record, settings.alert_category_min_scores, settings.alert_min_score):
                metrics.alerts.labels(kind=alert.kind, category=alert.category, outcome="emitted").inc()
                await alerts_topic.send(key=alert.id.encode(), value=alert.to_dict())
        if events:
            metrics.processing_seconds.observe((time.perf_counter() - started) / len(events))

    @app.agent(articles_topic, name="classify")
    async def classify(stream: StreamT[bytes]) -> None:
        batches = stream.take_events(settings.batch_size, within=settings.batch_timeout_seconds)  # type: ignore[attr-defined]
        async for events in batches:
            await handle_batch(list(events))

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    client = http_client
    policy = RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        initial_seconds=settings.webhook_backoff_initial_seconds,
        max_seconds=settings.webhook_backoff_max_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
    )

    async def deliver(alert: Alert) -> None:
        nonlocal client
        if not settings.webhook_urls or secret is None:
            return
        if client is None:
            client = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
        sender = WebhookSender(client, secret, policy, settings.webhook_format, metrics)
        failures = []
        for url in settings.webhook_urls:
            result = await sender.deliver(url, alert)
            if not result.delivered:
                failures.append(result)
        if failures:
            metrics.alerts.labels(kind=alert.kind, category=alert.category, outcome="dead_lettered").inc()
            reasons = "; ".join(f"{f.url}: {f.error} after {f.attempts} attempts" for f in failures)
            log.error("alert %s undeliverable: %s", alert.id, reasons)
            await alerts_dlq_topic.send(
                key=alert.id.encode(),
                value={"alert": alert.to_dict(), "reason": reasons, "failed_at": time.time()},
            )
            delivered[alert.id] = "dead_lettered"
        else:
            metrics.alerts.labels(kind=alert.kind, category=alert.category, outcome="delivered").inc()
            delivered[alert.id] = "delivered"

    @app.agent(alerts_topic, name="notify")
    async def notify(stream: StreamT[Any]) -> None:
        async for value in stream:
            alert = Alert.from_dict(value)
            if delivered.get(alert.id) is not None:
                metrics.alerts.labels(kind=alert.kind, category=alert.category, outcome="duplicate").inc()
                continue
            await deliver(alert)

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(generate_latest(registry_), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.page("/healthz")
    class HealthView(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok", "model_version": scorer_.version})

    log.debug(
        "app %s built with topics %s", settings.app_id, json.dumps(settings.topic(settings.topic_articles))
    )
    return TensionApp(
        app=app,
        settings=settings,
        metrics=metrics,
        scorer=scorer_,
        articles_topic=articles_topic,
        scored_topic=scored_topic,
        dlq_topic=dlq_topic,
        alerts_topic=alerts_topic,
        alerts_dlq_topic=alerts_dlq_topic,
        seen=seen,
        delivered=delivered,
        classify=classify,
        notify=notify,
    )
