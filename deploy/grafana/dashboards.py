"""The tension monitor's Grafana dashboards, built as code with grafana-foundation-sdk.

    .venv/bin/python deploy/grafana/dashboards.py          # (re)writes deploy/grafana/dashboards/*.json
    .venv/bin/python deploy/grafana/dashboards.py --check  # exits 1 when the committed JSON is stale

The generated JSON is committed (Grafana provisions it from deploy/grafana/dashboards/); a unit test fails
when it differs from what this file builds. Every query goes to the Prometheus datasource with uid
``prometheus`` (deploy/grafana/provisioning/datasources/prometheus.yml).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from grafana_foundation_sdk.builders import bargauge, dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import prometheus as pm

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid="prometheus")
RATE = "$__rate_interval"


def query(
    expr: str, legend: str = "", ref: str = "A", instant: bool = False, as_table: bool = False
) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        q = q.legend_format(legend)
    if instant:
        q = q.instant()
    if as_table:
        q = q.format(pm.PromQueryFormat.TABLE)
    return q


def targets(*queries: tuple[str, str]) -> list[Builder[cogvariants.Dataquery]]:
    return [query(expr, legend, ref=chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)]


def ts(title: str, description: str, unit: str, *queries: tuple[str, str], w: int = 12) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(targets(*queries))
        .unit(unit)
        .line_width(1)
        .fill_opacity(10)
        .height(8)
        .span(w)
    )


def single(title: str, description: str, unit: str, expr: str, w: int = 6) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(query(expr))
        .unit(unit)
        .height(4)
        .span(w)
    )


def grid(title: str, description: str, expr: str, w: int = 12) -> table.Panel:
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(query(expr, instant=True, as_table=True))
        .height(8)
        .span(w)
    )


def bars(title: str, description: str, unit: str, expr: str, legend: str, w: int = 12) -> bargauge.Panel:
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(query(expr, legend, instant=True))
        .unit(unit)
        .height(8)
        .span(w)
    )


def board(uid: str, title: str, description: str, panels: Sequence[Builder[dm.Panel]]) -> dashboard.Dashboard:
    b = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["tension-monitor"])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .editable()
    )
    for panel in panels:
        b = b.with_panel(panel)
    return b


def tension_overview() -> dashboard.Dashboard:
    panels = [
        single(
            "Articles scored / s",
            "Articles scored by all workers (5 min rate).",
            "reqps",
            f'sum(rate(tension_articles_total{{outcome="scored"}}[{RATE}]))',
        ),
        single(
            "Alerts emitted (1 h)",
            "Alerts raised by the worker's article and window rules in the last hour.",
            "short",
            'sum(increase(tension_alerts_total{outcome="emitted"}[1h]))',
        ),
        single(
            "Firing alerts",
            "Prometheus alerts of the tension monitor firing now.",
            "short",
            'count(ALERTS{alertstate="firing", alertname=~"Tension.*"}) or vector(0)',
        ),
        single(
            "Signals / s",
            "Aggregated signals (region and dyad windows) published per second.",
            "reqps",
            f"sum by (scope) (rate(tension_signals_total[{RATE}]))",
        ),
        ts(
            "Tension index by region (1 h max)",
            "Highest article tension per region over the last hour's window.",
            "percentunit",
            ('max by (region) (tension_region_tension{window="1h", stat="max"})', "{{region}}"),
        ),
        ts(
            "Mean tension by region (1 h)",
            "Mean article tension per region over the last hour's window.",
            "percentunit",
            ('max by (region) (tension_region_tension{window="1h", stat="mean"})', "{{region}}"),
        ),
        ts(
            "Spike z-score by region and category (1 h window)",
            "Standard deviations of the last hour's article count above its baseline; alert at 3.",
            "short",
            ('max by (region, category) (tension_region_zscore{window="1h"})', "{{region}} {{category}}"),
        ),
        bars(
            "Articles by region and category (24 h)",
            'Articles per region and tension category in the 24 h window (category "all" left out).',
            "short",
            'max by (region, category) (tension_region_articles{window="24h", category!="all"})',
            "{{region}} {{category}}",
        ),
        ts(
            "Labels per category / s",
            "Rate of articles labelled with each tension category (all languages).",
            "reqps",
            (f"sum by (category) (rate(tension_article_labels_total[{RATE}]))", "{{category}}"),
        ),
        ts(
            "Labels per language / s",
            "Rate of labelled articles by language.",
            "reqps",
            (f"sum by (language) (rate(tension_article_labels_total[{RATE}]))", "{{language}}"),
        ),
        grid(
            "Top dyads (24 h)",
            "The ten pairs of states with the most tension articles in the last 24 hours.",
            'topk(10, max by (dyad) (tension_dyad_articles{window="24h", category="all"}))',
        ),
        ts(
            "Dyad tension (24 h max), top 10",
            "Highest article tension per pair of states over the 24 h window.",
            "percentunit",
            ('topk(10, max by (dyad) (tension_dyad_tension{window="24h", stat="max"}))', "{{dyad}}"),
        ),
        ts(
            "Article tension p50 / p90",
            "Distribution of the overall tension of scored articles.",
            "percentunit",
            (
                f"histogram_quantile(0.5, sum by (le) (rate(tension_article_tension_bucket[{RATE}])))",
                "p50",
            ),
            (
                f"histogram_quantile(0.9, sum by (le) (rate(tension_article_tension_bucket[{RATE}])))",
                "p90",
            ),
        ),
        ts(
            "Alerts emitted per kind and category / s",
            "Alerts raised by the worker's rules: article (score) and window (count, z-score) rules.",
            "reqps",
            (
                f'sum by (kind, category) (rate(tension_alerts_total{{outcome="emitted"}}[{RATE}]))',
                "{{kind}} {{category}}",
            ),
        ),
        ts(
            "Dyad spike z-score (24 h window), top 10",
            "Standard deviations of the day's article count per pair of states above its baseline.",
            "short",
            ('topk(10, max by (dyad) (tension_dyad_zscore{window="24h", category="all"}))', "{{dyad}}"),
        ),
        ts(
            "Alerts suppressed by cooldown / s",
            "Rule triggers not alerted because the rule's cooldown for that region or dyad was running.",
            "reqps",
            (
                f"sum by (kind, category) (rate(tension_alerts_suppressed_total[{RATE}]))",
                "{{kind}} {{category}}",
            ),
        ),
        grid(
            "Firing alerts",
            "Prometheus alerts of the tension monitor firing now (Alertmanager routes them).",
            "sum by (alertname, severity, region, category) "
            '(ALERTS{alertstate="firing", alertname=~"Tension.*"})',
            w=24,
        ),
    ]
    return board(
        "tension-overview",
        "Tension monitor: overview",
        "Geopolitical tension signals: index by region, categories, dyads and alerts.",
        panels,
    )


def pipeline_health() -> dashboard.Dashboard:
    panels = [
        single(
            "Workers up",
            "Worker replicas Prometheus scrapes successfully.",
            "short",
            'sum(up{job="tension-worker"})',
        ),
        single(
            "Consumer lag (articles)",
            "Articles not yet committed by the consumer group.",
            "short",
            'sum(tension_consumer_lag{topic=~"(.*\\\\.)?articles"})',
        ),
        single(
            "Rebalances (1 h)",
            "Consumer group rebalances over all workers in the last hour.",
            "short",
            "sum(increase(tension_rebalances_total[1h]))",
        ),
        single(
            "Dead letters (1 h)",
            "Messages sent to a dead-letter topic in the last hour.",
            "short",
            "sum(increase(tension_dead_letters_total[1h])) or vector(0)",
        ),
        ts(
            "Throughput by outcome",
            "Articles consumed per second: scored, duplicate, dead-lettered.",
            "reqps",
            (f"sum by (outcome) (rate(tension_articles_total[{RATE}]))", "{{outcome}}"),
        ),
        ts(
            "Processing latency p50 / p99",
            "Validate + score + publish time per article (micro-batch time / batch size).",
            "s",
            (
                f"histogram_quantile(0.5, sum by (le) (rate(tension_processing_seconds_bucket[{RATE}])))",
                "p50",
            ),
            (
                f"histogram_quantile(0.99, sum by (le) (rate(tension_processing_seconds_bucket[{RATE}])))",
                "p99",
            ),
        ),
        ts(
            "End-to-end latency p50 / p99",
            "From the article's Kafka timestamp to its scored record.",
            "s",
            (
                f"histogram_quantile(0.5, sum by (le) (rate(tension_end_to_end_seconds_bucket[{RATE}])))",
                "p50",
            ),
            (
                f"histogram_quantile(0.99, sum by (le) (rate(tension_end_to_end_seconds_bucket[{RATE}])))",
                "p99",
            ),
        ),
        ts(
            "Consumer lag by topic",
            "High-water mark minus committed offset, summed over the group's partitions.",
            "short",
            ("sum by (topic) (tension_consumer_lag)", "{{topic}}"),
        ),
        ts(
            "Dead letters by reason / s",
            "Messages sent to articles.dlq or tension.alerts.dlq, by kind and reason.",
            "reqps",
            (f"sum by (kind, reason) (rate(tension_dead_letters_total[{RATE}]))", "{{kind}} {{reason}}"),
        ),
        ts(
            "Webhook deliveries by outcome / s",
            "Delivery attempts: delivered, retried (5xx, 429, timeouts) and failed after the last attempt.",
            "reqps",
            (
                f"sum by (sink, outcome) (rate(tension_webhook_deliveries_total[{RATE}]))",
                "{{sink}} {{outcome}}",
            ),
        ),
        ts(
            "Webhook delivery time p99",
            "First attempt to successful delivery, retries included.",
            "s",
            (
                "histogram_quantile(0.99, sum by (le, sink) "
                f"(rate(tension_webhook_delivery_seconds_bucket[{RATE}])))",
                "{{sink}}",
            ),
        ),
        ts(
            "Alert outcomes / s",
            "Alerts emitted, delivered, deduplicated and dead-lettered.",
            "reqps",
            (f"sum by (outcome) (rate(tension_alerts_total[{RATE}]))", "{{outcome}}"),
        ),
        ts(
            "Micro-batch size p50 / p99",
            "Articles per scoring micro-batch.",
            "short",
            (f"histogram_quantile(0.5, sum by (le) (rate(tension_batch_size_bucket[{RATE}])))", "p50"),
            (f"histogram_quantile(0.99, sum by (le) (rate(tension_batch_size_bucket[{RATE}])))", "p99"),
        ),
        ts(
            "Assigned partitions by worker",
            "Partitions of each topic assigned to each worker replica.",
            "short",
            ("sum by (instance, topic) (tension_assigned_partitions)", "{{instance}} {{topic}}"),
        ),
        ts(
            "Event loop lag",
            "How late each worker's periodic health timer ran: a blocked event loop shows here.",
            "s",
            ("max by (instance) (tension_event_loop_lag_seconds)", "{{instance}}"),
        ),
        grid(
            "Model version",
            "The model each worker has loaded (version, number of categories).",
            "count by (version, categories) (tension_model_info == 1)",
        ),
    ]
    return board(
        "tension-pipeline",
        "Tension monitor: pipeline health",
        "Throughput, latency, consumer lag, dead letters, webhook outcomes and the model version.",
        panels,
    )


DASHBOARDS = {"tension-overview.json": tension_overview, "tension-pipeline.json": pipeline_health}


def render(build: dashboard.Dashboard) -> str:
    return json.dumps(build.build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main(argv: Sequence[str] = ()) -> int:
    check = "--check" in argv
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for name, factory in DASHBOARDS.items():
        text = render(factory())
        path = OUT / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}: run python deploy/grafana/dashboards.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
