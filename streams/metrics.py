"""All of the project's Prometheus metrics, defined in one place against a registry passed in.

Naming follows Prometheus conventions: the ``tension_`` prefix, base units, ``_total`` on counters and
low-cardinality labels only (category, language, outcome, reason, sink, kind; never an article id).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

SCORE_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# Known label values, so series exist at zero before the first event (rates and alerts need them).
ARTICLE_OUTCOMES = ("scored", "duplicate", "dead_lettered")
ALERT_OUTCOMES = ("emitted", "delivered", "duplicate", "failed", "dead_lettered")
DELIVERY_OUTCOMES = ("delivered", "retried", "failed")


@dataclass(frozen=True)
class TensionMetrics:
    """The metrics of one worker. Build with :meth:`create`."""

    registry: CollectorRegistry
    articles: Counter
    labels: Counter
    scores: Histogram
    tension: Histogram
    processing_seconds: Histogram
    end_to_end_seconds: Histogram
    batch_size: Histogram
    dead_letters: Counter
    alerts: Counter
    webhook_deliveries: Counter
    webhook_delivery_seconds: Histogram
    model_info: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry, prefix: str = "tension") -> TensionMetrics:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: they double the scrape for no use here
        p = prefix
        metrics = cls(
            registry=registry,
            articles=Counter(
                f"{p}_articles_total", "Articles consumed, by outcome.", ["outcome"], registry=registry
            ),
            labels=Counter(
                f"{p}_article_labels_total",
                "Labels assigned to scored articles, by category and language.",
                ["category", "language"],
                registry=registry,
            ),
            scores=Histogram(
                f"{p}_article_score",
                "Calibrated category probability of each scored article.",
                ["category"],
                buckets=SCORE_BUCKETS,
                registry=registry,
            ),
            tension=Histogram(
                f"{p}_article_tension",
                "Overall tension (0..1) of each scored article.",
                buckets=SCORE_BUCKETS,
                registry=registry,
            ),
            processing_seconds=Histogram(
                f"{p}_processing_seconds",
                "Time to validate, score and publish one micro-batch, per article.",
                buckets=SECONDS_BUCKETS,
                registry=registry,
            ),
            end_to_end_seconds=Histogram(
                f"{p}_end_to_end_seconds",
                "Time from the article's Kafka timestamp to its scored record being published.",
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            batch_size=Histogram(
                f"{p}_batch_size",
                "Articles per scoring micro-batch.",
                buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
                registry=registry,
            ),
            dead_letters=Counter(
                f"{p}_dead_letters_total",
                "Messages sent to a dead-letter topic, by topic kind and reason.",
                ["kind", "reason"],
                registry=registry,
            ),
            alerts=Counter(
                f"{p}_alerts_total",
                "Alerts by kind, category and outcome.",
                ["kind", "category", "outcome"],
                registry=registry,
            ),
            webhook_deliveries=Counter(
                f"{p}_webhook_deliveries_total",
                "Webhook delivery attempts by sink format and outcome.",
                ["sink", "outcome"],
                registry=registry,
            ),
            webhook_delivery_seconds=Histogram(
                f"{p}_webhook_delivery_seconds",
                "Time from the first attempt to a successful delivery, retries included.",
                ["sink"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            model_info=Gauge(
                f"{p}_model_info",
                "The loaded model (value 1), with its version and number of categories.",
                ["version", "categories"],
                registry=registry,
            ),
        )
        for outcome in ARTICLE_OUTCOMES:
            metrics.articles.labels(outcome=outcome)
        return metrics

    def init_categories(self, categories: tuple[str, ...], version: str) -> None:
        """Create the per-category series at zero and publish the model info."""
        self.model_info.labels(version=version, categories=str(len(categories))).set(1)
        for category in categories:
            self.scores.labels(category=category)
            for outcome in ALERT_OUTCOMES:
                self.alerts.labels(kind="article", category=category, outcome=outcome)
