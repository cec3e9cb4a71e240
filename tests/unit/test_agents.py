"""The agents through Faust's test_context(): no broker; outgoing topic sends are recorded."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from standardwebhooks.webhooks import Webhook

from streams.alerts import Alert, AlertArticle, iso
from streams.app import TensionApp, create_app
from streams.scoring import load_scorer
from streams.settings import Settings

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(scope="module")
def scorer():  # the shipped model: loaded once for the module
    return load_scorer()


class Sent:
    def __init__(self) -> None:
        self.messages: dict[str, list[dict[str, Any]]] = {}

    def recorder(self, name: str) -> Callable[..., Any]:
        async def send(**kwargs: Any) -> None:
            self.messages.setdefault(name, []).append(kwargs)

        return send


def build(
    scorer: Any, handler: Callable[[httpx.Request], httpx.Response] | None = None
) -> tuple[TensionApp, Sent]:
    settings = Settings(
        app_id="unit-agents",
        webhook_urls=("http://hooks.test/a",),
        webhook_secret=SECRET,
        webhook_backoff_initial_seconds=0.0,
        webhook_max_attempts=2,
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler or (lambda r: httpx.Response(200))))
    tension = create_app(settings, scorer=scorer, registry=CollectorRegistry(), http_client=client)
    tension.app.finalize()
    tension.app.flow_control.resume()
    sent = Sent()
    for name in (
        "scored_topic",
        "dlq_topic",
        "updates_topic",
        "signals_topic",
        "alerts_topic",
        "alerts_dlq_topic",
    ):
        getattr(tension, name).send = sent.recorder(name)
    return tension, sent


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_classify_scores_dead_letters_and_dedupes(scorer: Any) -> None:
    tension, sent = build(scorer)
    registry = tension.metrics.registry
    article = {
        "id": "u1",
        "title": "North Korean soldiers cross the demarcation line; South fires warning shots",
        "text": "South Korea's military fired warning shots after about 20 North Korean soldiers crossed "
        "the military demarcation line inside the DMZ on Tuesday, the Joint Chiefs of Staff said.",
    }
    async with tension.classify.test_context() as agent:
        await agent.put(json.dumps(article).encode(), key=b"u1")
        await agent.put(b"\x00\x01 not json", key=b"junk")
        await agent.put(json.dumps(article).encode(), key=b"u1")
        await eventually(lambda: sample(registry, "tension_articles_total", outcome="duplicate") == 1)
    scored = sent.messages["scored_topic"]
    assert len(scored) == 1
    record = scored[0]["value"]
    assert record["id"] == "u1" and "dmz_incident" in record["labels"]
    assert record["language"] == "en"
    assert {"KOR", "PRK"} <= set(record["actors"])
    dead = sent.messages["dlq_topic"]
    assert len(dead) == 1 and dead[0]["value"] == b"\x00\x01 not json"
    assert dict(dead[0]["headers"])["x-dlq-reason"] == b"bad_json"
    assert sample(registry, "tension_articles_total", outcome="scored") == 1
    assert sample(registry, "tension_articles_total", outcome="dead_lettered") == 1
    assert "alerts_topic" not in sent.messages  # alerts come from the rules, in the aggregate agent


def an_alert(alert_id: str = "alert_unit_1", age: float = 0.0) -> dict[str, Any]:
    return Alert(
        id=alert_id,
        kind="article",
        rule="article:dmz_incident",
        severity="critical",
        category="dmz_incident",
        score=0.97,
        region="korean_peninsula",
        dyad="KOR-PRK",
        window=None,
        articles=(AlertArticle("u1", "Warning shots", None),),
        evidence=("warning shots",),
        created_at=iso(time.time() - age),
    ).to_dict()


async def test_notify_delivers_signed_once(scorer: Any) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200)

    tension, sent = build(scorer, handler)
    registry = tension.metrics.registry
    async with tension.notify.test_context() as agent:
        await agent.put(an_alert(), key=b"alert_unit_1")
        await agent.put(an_alert(), key=b"alert_unit_1")
        await eventually(
            lambda: sample(
                registry, "tension_alerts_total", kind="article", category="dmz_incident", outcome="duplicate"
            )
            == 1
        )
    assert len(requests) == 1
    payload = Webhook(SECRET).verify(requests[0].content, dict(requests[0].headers))
    assert payload["data"]["id"] == "alert_unit_1"
    assert "alerts_dlq_topic" not in sent.messages


async def test_notify_parks_undeliverable_alerts(scorer: Any) -> None:
    tension, sent = build(scorer, lambda request: httpx.Response(503))
    async with tension.notify.test_context() as agent:
        await agent.put(an_alert("alert_unit_2"), key=b"alert_unit_2")
        await eventually(lambda: "alerts_dlq_topic" in sent.messages)
    parked = sent.messages["alerts_dlq_topic"][0]["value"]
    assert parked["alert"]["id"] == "alert_unit_2"
    assert "HTTP 503 after 2 attempts" in parked["reason"]


async def test_notify_parks_expired_alerts_without_sending(scorer: Any) -> None:
    requests: list[httpx.Request] = []
    tension, sent = build(scorer, lambda request: requests.append(request) or httpx.Response(200))
    async with tension.notify.test_context() as agent:
        await agent.put(an_alert("alert_unit_3", age=7200), key=b"alert_unit_3")
        await eventually(lambda: "alerts_dlq_topic" in sent.messages)
    assert requests == []
    assert sent.messages["alerts_dlq_topic"][0]["value"]["reason"].startswith("expired")


async def test_fanout_and_aggregate_turn_a_scored_article_into_signals_and_alerts(scorer: Any) -> None:
    tension, sent = build(scorer)
    registry = tension.metrics.registry
    record = {
        "id": "u9",
        "title": "Warning shots at the border",
        "url": None,
        "labels": ["dmz_incident"],
        "scores": {
            "dmz_incident": 0.97,
            "weapons_transfer": 0.01,
            "military_cooperation": 0.01,
            "missile_nuclear": 0.01,
        },
        "tension": 0.97,
        "evidence": {"dmz_incident": ["warning shots"]},
        "regions": ["korean_peninsula"],
        "dyads": ["KOR-PRK"],
        "actors": ["KOR", "PRK"],
        "model_version": "m",
        "timings": {"ingested_at": time.time()},
    }
    async with tension.fanout.test_context() as agent:
        await agent.put(record, key=b"u9")
        await agent.put(["not", "a", "record"], key=b"junk")
        await eventually(
            lambda: sample(registry, "tension_dead_letters_total", kind="scored", reason="bad_record") == 1
        )
    updates = [m["value"] for m in sent.messages["updates_topic"]]
    assert sorted((u["scope"], u["key"]) for u in updates) == [
        ("dyad", "KOR-PRK"),
        ("region", "korean_peninsula"),
    ]
    async with tension.aggregate.test_context() as agent:
        for update in updates + updates:  # the second copy must not be counted
            await agent.put(update, key=f"{update['scope']}:{update['key']}".encode())
        await eventually(lambda: len(sent.messages.get("alerts_topic", [])) >= 1)
        await asyncio.sleep(0.5)
    signals = [m["value"] for m in sent.messages["signals_topic"]]
    region_1h = [
        s
        for s in signals
        if s["key"] == "korean_peninsula" and s["window"] == "1h" and s["category"] == "dmz_incident"
    ]
    assert region_1h and max(s["count"] for s in region_1h) == 1
    alerts = [m["value"] for m in sent.messages["alerts_topic"]]
    assert [a["rule"] for a in alerts] == ["dmz-incident-article"]
    assert alerts[0]["region"] == "korean_peninsula"
    labels = {"region": "korean_peninsula", "category": "dmz_incident", "window": "1h"}
    assert registry.get_sample_value("tension_region_articles", labels) == 1.0
