from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from streams.metrics import TensionMetrics


def test_names_follow_the_conventions() -> None:
    registry = CollectorRegistry()
    metrics = TensionMetrics.create(registry)
    metrics.init_categories(("dmz_incident", "weapons_transfer", "extra_category"), "v9")
    text = generate_latest(registry).decode()
    names = {line.split(" ")[2] for line in text.splitlines() if line.startswith("# TYPE")}
    assert names and all(name.startswith("tension_") for name in names)
    counters = {
        line.split(" ")[2] for line in text.splitlines() if line.startswith("# TYPE") and "counter" in line
    }
    for counter in counters:
        assert counter.endswith("_total")
    assert "_seconds" in text
    assert registry.get_sample_value("tension_model_info", {"version": "v9", "categories": "3"}) == 1.0
    # series exist at zero before the first event, for every category (no fixed four)
    assert registry.get_sample_value("tension_article_score_count", {"category": "extra_category"}) == 0.0
    assert registry.get_sample_value("tension_articles_total", {"outcome": "dead_lettered"}) == 0.0


def test_counts_and_observations() -> None:
    registry = CollectorRegistry()
    metrics = TensionMetrics.create(registry, prefix="tension")
    metrics.articles.labels(outcome="scored").inc(3)
    metrics.dead_letters.labels(kind="article", reason="bad_json").inc()
    metrics.labels.labels(category="dmz_incident", language="de").inc(2)
    metrics.scores.labels(category="dmz_incident").observe(0.97)
    metrics.end_to_end_seconds.observe(0.02)
    assert registry.get_sample_value("tension_articles_total", {"outcome": "scored"}) == 3.0
    assert (
        registry.get_sample_value("tension_dead_letters_total", {"kind": "article", "reason": "bad_json"})
        == 1.0
    )
    assert (
        registry.get_sample_value(
            "tension_article_labels_total", {"category": "dmz_incident", "language": "de"}
        )
        == 2
    )
    assert (
        registry.get_sample_value("tension_article_score_bucket", {"category": "dmz_incident", "le": "0.95"})
        == 0
    )
    assert (
        registry.get_sample_value("tension_article_score_bucket", {"category": "dmz_incident", "le": "1.0"})
        == 1
    )
    assert registry.get_sample_value("tension_end_to_end_seconds_count") == 1.0


def test_two_registries_do_not_clash() -> None:
    a, b = CollectorRegistry(), CollectorRegistry()
    TensionMetrics.create(a).articles.labels(outcome="scored").inc()
    TensionMetrics.create(b)
    assert a.get_sample_value("tension_articles_total", {"outcome": "scored"}) == 1.0
    assert b.get_sample_value("tension_articles_total", {"outcome": "scored"}) == 0.0
