"""Issue 4 on a real broker: windows, rule alerts once per cooldown, reliable delivery, crash recovery."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from kafka import KafkaProducer

from streams.receiver import alert_of
from streams.runner import free_port, metric_value_sum, read_topic
from tests.integration.conftest import Pipeline


def dmz_report(i: int) -> dict[str, str]:
    return {
        "id": f"dmz-{i:03d}",
        "title": f"North Korean soldiers cross the demarcation line, South fires warning shots ({i})",
        "text": (
            "South Korea's military fired warning shots after North Korean soldiers crossed the military "
            "demarcation line inside the demilitarized zone, the Joint Chiefs of Staff in Seoul said. "
            f"The soldiers returned north after the shots; it was report number {i} from the border today."
        ),
    }


def publish(pipe: Pipeline, articles: list[dict[str, str]]) -> None:
    producer = KafkaProducer(bootstrap_servers=pipe.bootstrap)
    for article in articles:
        producer.send(pipe.topic("articles"), key=article["id"].encode(), value=json.dumps(article).encode())
    producer.flush()
    producer.close()


def alerts_on_topic(pipe: Pipeline, minimum: int, timeout: float = 90) -> list[dict]:
    messages = read_topic(pipe.bootstrap, pipe.topic("tension.alerts"), lambda m: len(m) >= minimum, timeout)
    return [m.json() for m in messages]


def kp_dmz_counts(messages: list) -> list[int]:
    """Counts of the korean_peninsula / dmz_incident / 1h window in tension.signals messages."""
    counts = []
    for message in messages:
        signal = message.json()
        if (signal["key"], signal["category"], signal["window"]) == (
            "korean_peninsula",
            "dmz_incident",
            "1h",
        ):
            counts.append(signal["count"])
    return counts


def test_a_burst_gives_one_window_alert_per_rule_and_region(pipeline: Pipeline) -> None:
    publish(pipeline, [dmz_report(i) for i in range(12)])
    signals = read_topic(
        pipeline.bootstrap,
        pipeline.topic("tension.signals"),
        lambda m: max(kp_dmz_counts(m), default=0) >= 12,
        120,
    )
    assert max(kp_dmz_counts(signals)) == 12
    time.sleep(3)  # let any (wrong) extra alert arrive
    alerts = alerts_on_topic(pipeline, 1, timeout=10)
    window = Counter((a["rule"], a["region"]) for a in alerts if a["kind"] in ("spike", "threshold"))
    assert window[("dmz-incident-surge", "korean_peninsula")] == 1
    assert all(n == 1 for n in window.values()), window
    article = [a for a in alerts if a["kind"] == "article" and a["category"] == "dmz_incident"]
    assert len(article) == 1  # one per rule and region per cooldown, not one per article
    surge = next(a for a in alerts if a["rule"] == "dmz-incident-surge")
    assert surge["window"]["count"] >= 5 and surge["window"]["zscore"] >= 3
    assert len(surge["articles"]) >= 3 and surge["evidence"]
    delivered = pipeline.receiver.wait_for(len(alerts), 60)
    assert sorted(alert_of(r)["id"] for r in delivered) == sorted(a["id"] for a in alerts)
    assert pipeline.worker is not None
    text = pipeline.worker.metrics_text()
    assert (
        metric_value_sum(
            text,
            "tension_region_articles",
            {"region": "korean_peninsula", "category": "dmz_incident", "window": "1h"},
        )
        == 12
    )
    assert metric_value_sum(text, "tension_signals_total", {"scope": "region"}) > 0


@pytest.fixture
def make_pipeline(kafka: list[str], tmp_path: Path):
    started: list[Pipeline] = []

    def make(responses: tuple = (), **extra: str) -> Pipeline:
        pipe = Pipeline(kafka, tmp_path / f"p{len(started)}", responses=responses, **extra)
        pipe.receiver.__enter__()
        started.append(pipe)
        pipe.start_worker()
        return pipe

    yield make
    for pipe in started:
        pipe.stop_worker()
        pipe.receiver.__exit__(None, None, None)


def test_retries_on_503_deliver_once(make_pipeline) -> None:
    pipe = make_pipeline(responses=(503, 503, 503, 200))
    publish(pipe, [dmz_report(1)])
    alerts = alerts_on_topic(pipe, 1)
    delivered = pipe.receiver.wait_for(len(alerts), 60)
    time.sleep(2)
    ids = [r.headers["webhook-id"] for r in pipe.receiver.requests]
    first = alerts[0]["id"]
    assert ids[:4] == [first] * 4  # three 503s, then the 200, all with the same idempotency key
    assert [r.status for r in pipe.receiver.requests[:4]] == [503, 503, 503, 200]
    assert sum(1 for r in delivered if r.headers["webhook-id"] == first) == 1
    assert pipe.worker is not None
    text = pipe.worker.metrics_text()
    assert metric_value_sum(text, "tension_webhook_deliveries_total", {"outcome": "retried"}) >= 3


def test_retry_after_is_honoured(make_pipeline) -> None:
    pipe = make_pipeline(responses=((429, {"Retry-After": "3"}), 200))
    publish(pipe, [dmz_report(2)])
    alerts_on_topic(pipe, 1)
    pipe.receiver.wait_for(1, 60)
    first, second = pipe.receiver.requests[0], pipe.receiver.requests[1]
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 2.9  # the backoff alone would have waited 0.1-0.2 s


def test_receiver_down_past_the_limit_parks_the_alert(make_pipeline) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    pipe = make_pipeline(TENSION_WEBHOOK_URLS=dead_url, TENSION_WEBHOOK_MAX_ATTEMPTS="3")
    publish(pipe, [dmz_report(3)])
    alerts = alerts_on_topic(pipe, 1)
    parked = read_topic(pipe.bootstrap, pipe.topic("tension.alerts.dlq"), lambda m: len(m) >= 1, 60)
    assert parked, "the undeliverable alert did not reach the dead-letter topic"
    value = parked[0].json()
    assert value["alert"]["id"] in {a["id"] for a in alerts}
    assert "after 3 attempts" in value["reason"]


def test_sigkill_mid_burst_double_counts_nothing_and_resends_nothing(
    kafka: list[str], tmp_path: Path
) -> None:
    pipe = Pipeline(kafka, tmp_path)
    with pipe.receiver:
        worker = pipe.start_worker()
        publish(pipe, [dmz_report(i) for i in range(6)])
        pipe.receiver.wait_for(1, 60)  # at least the article alert was acknowledged
        time.sleep(1)  # (a kill within milliseconds of the 2xx may re-send: see streams/app.py deliver())
        read_topic(pipe.bootstrap, pipe.topic("tension.signals"), lambda m: len(m) >= 6, 60)
        worker.stop(kill=True)  # SIGKILL: no clean shutdown, no final commit
        acknowledged = {r.headers["webhook-id"] for r in pipe.receiver.delivered}
        # the producer retries part of the burst (duplicates) and sends the rest
        publish(pipe, [dmz_report(i) for i in range(3, 12)])
        worker = pipe.start_worker()
        try:
            read_topic(
                pipe.bootstrap,
                pipe.topic("tension.signals"),
                lambda m: max(kp_dmz_counts(m), default=0) >= 12,
                120,
            )
            time.sleep(5)
            counts = kp_dmz_counts(
                read_topic(pipe.bootstrap, pipe.topic("tension.signals"), lambda m: False, 5)
            )
            assert max(counts) == 12, f"counted {max(counts)} articles for 12 distinct reports"
            scored = read_topic(pipe.bootstrap, pipe.topic("articles.scored"), lambda m: False, 5)
            assert len({m.json()["id"] for m in scored}) == 12
            alerts = alerts_on_topic(pipe, 1, timeout=10)
            pipe.receiver.wait_for(len({a["id"] for a in alerts}), 60)
            time.sleep(3)
            per_id = Counter(r.headers["webhook-id"] for r in pipe.receiver.delivered)
            for alert_id in acknowledged:
                assert per_id[alert_id] == 1, f"acknowledged alert {alert_id} was delivered again"
        finally:
            worker.stop()


def test_window_gauges_follow_the_signals(pipeline: Pipeline) -> None:
    publish(pipeline, [dmz_report(i) for i in range(3)])
    read_topic(pipeline.bootstrap, pipeline.topic("tension.signals"), lambda m: len(m) >= 3, 90)
    assert pipeline.worker is not None
    deadline = time.time() + 30
    while time.time() < deadline:
        text = pipeline.worker.metrics_text()
        labels = {"region": "korean_peninsula", "category": "all", "window": "24h"}
        if metric_value_sum(text, "tension_region_articles", labels) == 3:
            break
        time.sleep(1)
    assert metric_value_sum(text, "tension_region_articles", labels) == 3
    assert (
        metric_value_sum(text, "tension_region_tension", {"region": "korean_peninsula", "stat": "max"}) > 0.5
    )
    assert metric_value_sum(text, "tension_dyad_articles", {"dyad": "KOR-PRK", "category": "all"}) >= 3
