"""The Faust application, built by a factory: topics, tables, agents and the /metrics page.

Agent bodies stay short: the decisions (validate, score, aggregate, alert, deliver) live in plain modules.

    articles -> classify -> articles.scored -> fanout -> tension.updates (keyed by region/dyad)
             -> aggregate (windows, rules) -> tension.signals + tension.alerts -> notify -> webhooks
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import faust
import httpx
from faust.streams import _current_event
from faust.types import EventT, StreamT
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from models.errors import InputError
from streams.aggregate import apply_update, is_scored_record, is_update, scope_id, scope_keys, update_message
from streams.alerts import Alert
from streams.delivery import RetryPolicy, WebhookSender
from streams.health import install_pipeline_health
from streams.metrics import TensionMetrics
from streams.records import Article, parse_article
from streams.rules import ANY_CATEGORY, RuleSet, load_rules
from streams.scoring import ArticleScorer, load_scorer
from streams.settings import Settings
from streams.windows import stats

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


def alert_age(alert: Alert, now: float) -> float:
    return now - datetime.fromisoformat(alert.created_at.replace("Z", "+00:00")).timestamp()


@dataclass
class TensionApp:
    """The Faust app and the parts a test or the CLI needs to reach."""

    app: faust.App
    settings: Settings
    metrics: TensionMetrics
    scorer: ArticleScorer
    rules: RuleSet
    articles_topic: Any
    scored_topic: Any
    dlq_topic: Any
    updates_topic: Any
    signals_topic: Any
    alerts_topic: Any
    alerts_dlq_topic: Any
    seen: Any
    counted: Any
    windows: Any
    cooldowns: Any
    delivered: Any
    classify: Any
    fanout: Any
    aggregate: Any
    notify: Any


def create_app(
    settings: Settings,
    *,
    scorer: ArticleScorer | None = None,
    rules: RuleSet | None = None,
    registry: CollectorRegistry | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> TensionApp:
    registry_: CollectorRegistry = registry if registry is not None else CollectorRegistry()
    metrics = TensionMetrics.create(registry_)
    scorer_: ArticleScorer = scorer if scorer is not None else load_scorer(settings.model_path)
    rules_ = rules if rules is not None else load_rules(settings.rules_path, scorer_.categories)
    metrics.init_categories(scorer_.categories, scorer_.version)
    metrics.init_sinks([sink for sink, _ in settings.sinks()])

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
    install_pipeline_health(app, registry_)

    def raw_topic(name: str) -> Any:
        return app.topic(
            settings.topic(name),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )

    def json_topic(name: str) -> Any:
        return app.topic(settings.topic(name), key_serializer="raw", value_serializer="json")

    articles_topic = raw_topic(settings.topic_articles)
    dlq_topic = raw_topic(settings.topic_dlq)
    scored_topic = json_topic(settings.topic_scored)
    updates_topic = json_topic(settings.topic_updates)
    signals_topic = json_topic(settings.topic_signals)
    alerts_topic = json_topic(settings.topic_alerts)
    alerts_dlq_topic = json_topic(settings.topic_alerts_dlq)

    def table(name: str) -> Any:
        return app.Table(name, default=None, partitions=settings.topic_partitions)

    # All state lives in changelog-backed tables, recovered after a restart or a rebalance:
    seen = table("seen-articles")  # article id -> scored at: an article is scored once
    counted = table("counted-articles")  # "scope:key|article id" -> ts: counted once per key
    windows = table("window-states")  # "scope:key|category|window" -> window state (streams.windows)
    cooldowns = table("rule-cooldowns")  # "rule|scope:key" -> last fired (event time)
    delivered = table("delivered-alerts")  # alert id -> delivered | dead_lettered: sent once

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
        if events:
            metrics.processing_seconds.observe((time.perf_counter() - started) / len(events))

    @app.agent(articles_topic, name="classify")
    async def classify(stream: StreamT[bytes]) -> None:
        batches = stream.take_events(settings.batch_size, within=settings.batch_timeout_seconds)  # type: ignore[attr-defined]
        async for events in batches:
            await handle_batch(list(events))

    def skip_foreign(kind: str, value: Any) -> None:
        """A message our own agents did not write (the topics are internal): counted, logged, skipped."""
        metrics.dead_letters.labels(kind=kind, reason="bad_record").inc()
        log.error("skipping a malformed %s message: %.200r", kind, value)

    @app.agent(scored_topic, name="fanout")
    async def fanout(stream: StreamT[Any]) -> None:
        """Re-key each scored article by the regions and dyads it counts in."""
        async for record in stream:
            if not is_scored_record(record):
                skip_foreign("scored", record)
                continue
            ts = float((record.get("timings") or {}).get("ingested_at") or time.time())
            for scope, key in scope_keys(record, settings.dyads_per_article):
                update = update_message(record, scope, key, ts)
                await updates_topic.send(key=scope_id(update).encode(), value=update)

    async def handle_updates(events: list[EventT[Any]]) -> None:
        """Fold a batch of updates into the windows; write each touched state and emit each signal once."""
        states: dict[str, Any] = {}
        fired: dict[str, float] = {}
        marks: dict[str, tuple[EventT[Any], float]] = {}  # counted key -> (event, ts)
        owners: dict[str, EventT[Any]] = {}  # scope id -> its latest event in the batch
        latest: dict[tuple[str, str, str], tuple[dict[str, Any], str, Any]] = {}
        alerts: list[Alert] = []
        for event in events:
            update: dict[str, Any] = event.value  # type: ignore[assignment]
            if not is_update(update):
                skip_foreign("update", update)
                continue
            sid = scope_id(update)
            counted_key = f"{sid}|{update['article']['id']}"
            if counted_key in marks or counted.get(counted_key) is not None:
                continue
            outcome = apply_update(
                update,
                rules_,
                lambda k: states[k] if k in states else windows.get(k),
                lambda k: fired[k] if k in fired else cooldowns.get(k),
            )
            states.update(outcome.states)
            fired.update(outcome.fired)
            marks[counted_key] = (event, update["ts"])
            owners[sid] = event
            for signal, (category, st) in zip(outcome.signals, outcome.stats, strict=True):
                latest[(sid, category, st.window)] = (signal, update["scope"], st)
            for kind, category in outcome.suppressed:
                metrics.alert_suppressed.labels(kind=kind, category=category).inc()
            alerts.extend(outcome.alerts)
        # Table writes go to the changelog partition of an event of the same key; the counted marks last,
        # and flushed before the offsets can be committed.
        for key, state in states.items():
            _bind_event(owners[key.split("|", 1)[0]])
            windows[key] = state
        for key, ts in fired.items():
            _bind_event(owners[key.split("|", 1)[1]])
            cooldowns[key] = ts
        for key, (event, ts) in marks.items():
            _bind_event(event)
            counted[key] = ts
        if marks:
            await persist()
        for (sid, category, _), (signal, scope, st) in latest.items():
            await signals_topic.send(key=sid.encode(), value=signal)
            metrics.signals.labels(scope=scope).inc()
            shown = "all" if category == ANY_CATEGORY else category
            metrics.set_window(scope, signal["key"], shown, st.window, st.count, st.zscore)
            if category == ANY_CATEGORY:
                metrics.set_tension(scope, signal["key"], st.window, st.mean_tension, st.max_tension)
        for alert in alerts:
            metrics.alerts.labels(kind=alert.kind, category=alert.category, outcome="emitted").inc()
            await alerts_topic.send(key=alert.id.encode(), value=alert.to_dict())

    @app.agent(updates_topic, name="aggregate")
    async def aggregate(stream: StreamT[Any]) -> None:
        """Windows, signals and rule-based alerts per region/dyad; each article counted once per key."""
        batches = stream.take_events(settings.batch_size * 4, within=settings.batch_timeout_seconds)  # type: ignore[attr-defined]
        async for events in batches:
            await handle_updates(list(events))

    @app.timer(interval=settings.gauge_refresh_seconds)  # type: ignore[misc]
    async def refresh_window_gauges() -> None:
        """Windows move on without new articles: re-export the keys this worker owns at the current time."""
        now = time.time()
        metrics.clear_windows()
        for key, state in list(windows.items()):
            sid, category, window = key.split("|")
            scope, name = sid.split(":", 1)
            try:
                spec = rules_.window(window)
            except KeyError:
                continue
            st = stats(state, spec, now)
            shown = "all" if category == ANY_CATEGORY else category
            metrics.set_window(scope, name, shown, window, st.count, st.zscore)
            if category == ANY_CATEGORY:
                metrics.set_tension(scope, name, window, st.mean_tension, st.max_tension)

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    client = http_client
    policy = RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        initial_seconds=settings.webhook_backoff_initial_seconds,
        max_seconds=settings.webhook_backoff_max_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
        max_age_seconds=settings.webhook_max_age_seconds,
    )

    async def persist() -> None:
        """Wait until buffered table changelog writes are acknowledged by the broker."""
        if app.producer.started:  # (not under Faust's test_context(), which runs no producer)
            await app.producer.flush()

    async def park(alert: Alert, reason: str) -> None:
        metrics.alerts.labels(kind=alert.kind, category=alert.category, outcome="dead_lettered").inc()
        log.error("alert %s undeliverable: %s", alert.id, reason)
        await alerts_dlq_topic.send(
            key=alert.id.encode(),
            value={"alert": alert.to_dict(), "reason": reason, "failed_at": time.time()},
        )
        delivered[alert.id] = "dead_lettered"
        await persist()

    async def deliver(alert: Alert) -> None:
        nonlocal client
        if not settings.webhook_urls or secret is None:
            return
        if alert_age(alert, time.time()) > settings.webhook_max_age_seconds:
            await park(alert, f"expired: older than {settings.webhook_max_age_seconds:g} s before delivery")
            return
        if client is None:
            client = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
        failures = []
        for sink, url in settings.sinks():
            sender = WebhookSender(client, secret, policy, sink, metrics)
            result = await sender.deliver(url, alert)
            if not result.delivered:
                failures.append(result)
        if failures:
            await park(alert, "; ".join(f"{f.url}: {f.error} after {f.attempts} attempts" for f in failures))
        else:
            metrics.alerts.labels(kind=alert.kind, category=alert.category, outcome="delivered").inc()
            delivered[alert.id] = "delivered"
            # Make the mark durable now (the changelog write is otherwise buffered): a crash after this
            # point cannot re-send the alert. Between the receiver's 2xx and this flush a crash can; the
            # same webhook-id then lets the receiver drop the copy.
            await persist()

    @app.agent(alerts_topic, name="notify")
    async def notify(stream: StreamT[Any]) -> None:
        async for value in stream:
            try:
                alert = Alert.from_dict(value)
            except (KeyError, TypeError, ValueError, AttributeError):
                skip_foreign("alert", value)
                continue
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

    return TensionApp(
        app=app,
        settings=settings,
        metrics=metrics,
        scorer=scorer_,
        rules=rules_,
        articles_topic=articles_topic,
        scored_topic=scored_topic,
        dlq_topic=dlq_topic,
        updates_topic=updates_topic,
        signals_topic=signals_topic,
        alerts_topic=alerts_topic,
        alerts_dlq_topic=alerts_dlq_topic,
        seen=seen,
        counted=counted,
        windows=windows,
        cooldowns=cooldowns,
        delivered=delivered,
        classify=classify,
        fanout=fanout,
        aggregate=aggregate,
        notify=notify,
    )
