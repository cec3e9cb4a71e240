"""All of the project's Prometheus metrics, defined in one place against a registry passed in.

Naming follows Prometheus conventions: the ``tension_`` prefix, base units, ``_total`` on counters and
low-cardinality labels only (category, language, outcome, reason, sink, kind; never an article id).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

from streams.records import REASONS

SCORE_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

# Known label values, so series exist at zero before the first event (rates and alerts need them).
ARTICLE_OUTCOMES = ("scored", "duplicate", "dead_lettered")
ALERT_OUTCOMES = ("emitted", "delivered", "duplicate", "dead_lettered")
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
    region_articles: Gauge
    region_tension: Gauge
    region_zscore: Gauge
    dyad_articles: Gauge
    dyad_tension: Gauge
    dyad_zscore: Gauge
    signals: Counter
    alert_suppressed: Counter

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
            region_articles=Gauge(
                f"{p}_region_articles",
                "Articles in the current window per region and category ('all': any article).",
                ["region", "category", "window"],
                registry=registry,
            ),
            region_tension=Gauge(
                f"{p}_region_tension",
                "Mean or max article tension in the current window per region.",
                ["region", "window", "stat"],
                registry=registry,
            ),
            region_zscore=Gauge(
                f"{p}_region_zscore",
                "Z-score of the window's article count against its baseline, per region and category.",
                ["region", "category", "window"],
                registry=registry,
            ),
            dyad_articles=Gauge(
                f"{p}_dyad_articles",
                "Articles in the current window per dyad (pair of states) and category.",
                ["dyad", "category", "window"],
                registry=registry,
            ),
            dyad_tension=Gauge(
                f"{p}_dyad_tension",
                "Mean or max article tension in the current window per dyad.",
                ["dyad", "window", "stat"],
                registry=registry,
            ),
            dyad_zscore=Gauge(
                f"{p}_dyad_zscore",
                "Z-score of the window's article count against its baseline, per dyad and category.",
                ["dyad", "category", "window"],
                registry=registry,
            ),
            signals=Counter(
                f"{p}_signals_total",
                "Window signals published to tension.signals, by scope (region, dyad).",
                ["scope"],
                registry=registry,
            ),
            alert_suppressed=Counter(
                f"{p}_alerts_suppressed_total",
                "Rule triggers not alerted because the rule's cooldown for that key was running.",
                ["kind", "category"],
                registry=registry,
            ),
        )
        for outcome in ARTICLE_OUTCOMES:
            metrics.articles.labels(outcome=outcome)
        for reason in REASONS:  # a closed set: every series exists at zero from the start
            metrics.dead_letters.labels(kind="article", reason=reason)
        return metrics

    def init_sinks(self, sinks: list[str]) -> None:
        """Create the delivery series of the configured sink formats at zero."""
        for sink in set(sinks):
            self.webhook_delivery_seconds.labels(sink=sink)
            for outcome in DELIVERY_OUTCOMES:
                self.webhook_deliveries.labels(sink=sink, outcome=outcome)

    def set_window(
        self, scope: str, key: str, category: str, window: str, count: float, zscore: float
    ) -> None:
        if scope == "region":
            self.region_articles.labels(region=key, category=category, window=window).set(count)
            self.region_zscore.labels(region=key, category=category, window=window).set(zscore)
        else:
            self.dyad_articles.labels(dyad=key, category=category, window=window).set(count)
            self.dyad_zscore.labels(dyad=key, category=category, window=window).set(zscore)

    def set_tension(self, scope: str, key: str, window: str, mean: float, peak: float) -> None:
        gauge = self.region_tension if scope == "region" else self.dyad_tension
        label = "region" if scope == "region" else "dyad"
        gauge.labels(**{label: key, "window": window, "stat": "mean"}).set(mean)
        gauge.labels(**{label: key, "window": window, "stat": "max"}).set(peak)

    def clear_windows(self) -> None:
        """Forget every window series (before re-exporting the keys this worker owns now)."""
        for gauge in (
            self.region_articles,
            self.region_tension,
            self.region_zscore,
            self.dyad_articles,
            self.dyad_tension,
            self.dyad_zscore,
        ):
            gauge.clear()

    def init_categories(self, categories: tuple[str, ...], version: str) -> None:
        """Create the per-category series at zero and publish the model info."""
        self.model_info.labels(version=version, categories=str(len(categories))).set(1)
        for category in categories:
            self.scores.labels(category=category)
            for kind in ("article", "window"):
                for outcome in ALERT_OUTCOMES:
                    self.alerts.labels(kind=kind, category=category, outcome=outcome)
