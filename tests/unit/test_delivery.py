from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from prometheus_client import CollectorRegistry
from standardwebhooks.webhooks import Webhook

from streams.alerts import article_alert
from streams.delivery import RetryPolicy, WebhookSender, retry_after_seconds
from streams.metrics import TensionMetrics
from tests.unit.test_alerts import scored

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Script:
    """An httpx handler answering a scripted sequence and recording the requests."""

    def __init__(self, *answers: int | tuple[int, dict[str, str]] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers=headers)


async def run(script: Script, max_attempts: int = 5) -> tuple[object, list[float], TensionMetrics]:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    metrics = TensionMetrics.create(CollectorRegistry())
    async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as client:
        sender = WebhookSender(
            client,
            SECRET,
            RetryPolicy(max_attempts=max_attempts, initial_seconds=1.0, max_seconds=8.0),
            metrics=metrics,
            sleep=sleep,
            rng=random.Random(1),
        )
        result = await sender.deliver(
            "http://hooks.test/x", article_alert("r", "dmz_incident", scored(), None)
        )
    return result, sleeps, metrics


async def test_signed_and_verifiable() -> None:
    script = Script(200)
    result, _, metrics = await run(script)
    assert result.delivered and result.attempts == 1  # type: ignore[attr-defined]
    request = script.requests[0]
    payload = Webhook(SECRET).verify(request.content, dict(request.headers))
    assert payload["data"]["category"] == "dmz_incident"
    assert request.headers["webhook-id"] == payload["data"]["id"]
    assert (
        metrics.registry.get_sample_value(
            "tension_webhook_deliveries_total", {"sink": "json", "outcome": "delivered"}
        )
        == 1.0
    )


async def test_retries_5xx_with_growing_backoff() -> None:
    script = Script(503, 503, 500, 200)
    result, sleeps, metrics = await run(script)
    assert result.delivered and result.attempts == 4  # type: ignore[attr-defined]
    assert len(sleeps) == 3
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0 and 2.0 <= sleeps[2] <= 4.0
    ids = {r.headers["webhook-id"] for r in script.requests}
    assert len(ids) == 1  # the same idempotency key on every attempt
    assert (
        metrics.registry.get_sample_value(
            "tension_webhook_deliveries_total", {"sink": "json", "outcome": "retried"}
        )
        == 3.0
    )


async def test_retry_after_is_honoured() -> None:
    script = Script((429, {"Retry-After": "7"}), 200)
    result, sleeps, _ = await run(script)
    assert result.delivered  # type: ignore[attr-defined]
    assert sleeps == [7.0]


async def test_timeouts_and_connection_errors_are_retried() -> None:
    script = Script(httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), 200)
    result, _, _ = await run(script)
    assert result.delivered and result.attempts == 3  # type: ignore[attr-defined]


async def test_client_errors_are_not_retried() -> None:
    script = Script(400, 200)
    result, sleeps, _ = await run(script)
    assert not result.delivered and result.attempts == 1 and result.status == 400  # type: ignore[attr-defined]
    assert sleeps == []


async def test_gives_up_after_max_attempts() -> None:
    script = Script(503, 503, 503)
    result, _, metrics = await run(script, max_attempts=3)
    assert not result.delivered and result.attempts == 3  # type: ignore[attr-defined]
    assert len(script.requests) == 3
    assert (
        metrics.registry.get_sample_value(
            "tension_webhook_deliveries_total", {"sink": "json", "outcome": "failed"}
        )
        == 1.0
    )


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after_seconds("99999") == 300.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_backoff_is_bounded() -> None:
    policy = RetryPolicy(initial_seconds=1, max_seconds=5)
    rng = random.Random(3)
    assert all(2.5 <= policy.backoff(attempt, rng) <= 5 for attempt in range(4, 20))


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_backoff_doubles(attempt: int) -> None:
    policy = RetryPolicy(initial_seconds=1, max_seconds=100)
    value = policy.backoff(attempt, random.Random(attempt))
    assert 2 ** (attempt - 1) / 2 <= value <= 2 ** (attempt - 1)
