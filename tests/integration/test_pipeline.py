"""End to end on a real broker: an outside producer, the worker process, a real webhook server."""

from __future__ import annotations

import json
from pathlib import Path

from kafka import KafkaProducer
from standardwebhooks.webhooks import Webhook

from streams.receiver import alert_of
from streams.runner import metric_value_sum, read_topic
from tests.integration.conftest import Pipeline


def load_fixture(path: Path, language: str, label: str) -> dict[str, object]:
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["language"] == language and item["labels"] == [label]:
            return item
    raise AssertionError(f"no {language} {label} paraphrase in {path}")


def test_articles_flow_to_scores_dead_letters_alerts_and_metrics(
    pipeline: Pipeline, fixtures_dir: Path
) -> None:
    paraphrases = fixtures_dir / "paraphrases.jsonl"
    dmz = load_fixture(paraphrases, "en", "dmz_incident")
    arms = load_fixture(paraphrases, "de", "weapons_transfer")
    valid = [
        {"id": "it-dmz", "title": dmz["title"], "text": dmz["text"], "url": "https://example.org/dmz"},
        {"id": "it-arms", "title": arms["title"], "text": arms["text"], "language": "de"},
        {
            "id": "it-sport",
            "title": "Cup final",
            "text": "The home side won the cup final 2-1 after extra time.",
        },
    ]
    malformed = [
        (b"bad-json", b"{not json"),
        (b"bad-utf8", b'{"id": "bad-utf8", "text": "\xff\xfe"}'),
        (b"no-text", json.dumps({"id": "no-text", "title": ""}).encode()),
        (b"bad-type", json.dumps({"id": 12, "text": "x"}).encode()),
        (b"too-big", json.dumps({"id": "too-big", "text": "x" * (1024 * 1024 + 1)}).encode()),
    ]
    producer = KafkaProducer(bootstrap_servers=pipeline.bootstrap, max_request_size=4 * 1024 * 1024)
    topic = pipeline.topic("articles")
    for article in valid:
        producer.send(topic, key=str(article["id"]).encode(), value=json.dumps(article).encode())
    for key, raw in malformed:
        producer.send(topic, key=key, value=raw)
    # the same article again: scored once
    producer.send(topic, key=b"it-dmz", value=json.dumps(valid[0]).encode())
    producer.flush()
    producer.close()

    scored = read_topic(pipeline.bootstrap, pipeline.topic("articles.scored"), lambda m: len(m) >= 3, 120)
    dead = read_topic(pipeline.bootstrap, pipeline.topic("articles.dlq"), lambda m: len(m) >= 5, 60)

    records = {m.json()["id"]: m.json() for m in scored}
    assert sorted(records) == ["it-arms", "it-dmz", "it-sport"]
    assert len(scored) == 3, "the duplicate was scored twice"
    for record in records.values():
        assert set(record) >= {"id", "labels", "scores", "tension", "language", "actors", "model_version"}
        assert 0.0 <= record["tension"] <= 1.0
    assert "dmz_incident" in records["it-dmz"]["labels"]
    assert records["it-dmz"]["language"] == "en"  # detected
    assert "weapons_transfer" in records["it-arms"]["labels"]
    assert records["it-sport"]["labels"] == []

    reasons = {m.key: m.headers["x-dlq-reason"].decode() for m in dead}
    assert reasons == {
        b"bad-json": "bad_json",
        b"bad-utf8": "bad_utf8",
        b"no-text": "missing_text",
        b"bad-type": "bad_id",
        b"too-big": "too_large",
    }
    originals = {m.key: m.value for m in dead}
    for key, raw in malformed:
        assert originals[key] == raw  # the original bytes, untouched
    for message in dead:
        assert message.headers["x-source-topic"].decode() == topic
        assert int(message.headers["x-source-offset"]) >= 0

    alerts = read_topic(pipeline.bootstrap, pipeline.topic("tension.alerts"), lambda m: len(m) >= 2, 30)
    delivered = pipeline.receiver.wait_for(len(alerts), timeout=60)
    assert len(delivered) == len(alerts) >= 2
    webhook = Webhook(pipeline.secret)
    for request in delivered:
        payload = webhook.verify(request.body, request.headers)  # raises on a bad signature
        assert request.headers["webhook-id"] == payload["data"]["id"]
    categories = {(alert_of(r)["articles"][0]["id"], alert_of(r)["category"]) for r in delivered}
    assert ("it-dmz", "dmz_incident") in categories
    assert ("it-arms", "weapons_transfer") in categories

    assert pipeline.worker is not None
    text = pipeline.worker.metrics_text()
    assert metric_value_sum(text, "tension_articles_total", {"outcome": "scored"}) == 3
    assert metric_value_sum(text, "tension_articles_total", {"outcome": "duplicate"}) == 1
    assert metric_value_sum(text, "tension_articles_total", {"outcome": "dead_lettered"}) == 5
    assert metric_value_sum(text, "tension_dead_letters_total", {"reason": "bad_json"}) == 1
    assert metric_value_sum(text, "tension_dead_letters_total") == 5
    assert metric_value_sum(text, "tension_alerts_total", {"outcome": "delivered"}) == len(delivered)
    assert metric_value_sum(text, "tension_webhook_deliveries_total", {"outcome": "delivered"}) == len(
        delivered
    )
    assert metric_value_sum(text, "tension_article_labels_total", {"category": "dmz_incident"}) >= 1
    assert metric_value_sum(text, "tension_model_info") == 1


def test_reference_article_is_labelled(pipeline: Pipeline, shared_dir: Path) -> None:
    seed = (shared_dir / "seed" / "article-de-putin-kim.txt").read_text(encoding="utf-8")
    title, _, body = seed.partition("\n")
    producer = KafkaProducer(bootstrap_servers=pipeline.bootstrap)
    article = {"id": "seed-putin-kim", "title": title.strip(), "text": body.strip()}
    producer.send(pipeline.topic("articles"), key=b"seed-putin-kim", value=json.dumps(article).encode())
    producer.flush()
    producer.close()
    scored = read_topic(pipeline.bootstrap, pipeline.topic("articles.scored"), lambda m: len(m) >= 1, 120)
    assert scored, "the reference article was not scored"
    record = scored[0].json()
    assert {"weapons_transfer", "dmz_incident"} <= set(record["labels"])
    assert record["language"] == "de"
    assert {"PRK", "RUS"} <= set(record["actors"])
