"""Webhook delivery: Standard Webhooks signing and retries with exponential backoff and jitter.

The HTTP client is passed in (tests use ``httpx.MockTransport`` handlers or a real local server); every
attempt has an explicit timeout. Nothing here knows about Faust or Kafka.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from standardwebhooks.webhooks import Webhook

from streams.alerts import Alert, render_payload
from streams.metrics import TensionMetrics

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 300.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_seconds: float = 0.5
    max_seconds: float = 30.0
    timeout_seconds: float = 5.0
    max_age_seconds: float = 3600.0  # stop retrying once the next attempt would start later than this

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff before attempt ``attempt + 1`` (``attempt`` starts at 1)."""
        ceiling = min(self.max_seconds, self.initial_seconds * (2 ** (attempt - 1)))
        return rng.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class DeliveryResult:
    url: str
    delivered: bool
    attempts: int
    status: int | None
    error: str | None
    seconds: float


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header (delay-seconds or HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)


def sign_headers(webhook: Webhook, message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for one attempt."""
    now = now or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "user-agent": "tension-monitor",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(message_id, now, body),
    }


class WebhookSender:
    """Delivers alerts to webhook URLs, signed, with retries."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        secret: str,
        policy: RetryPolicy,
        sink: str = "json",
        metrics: TensionMetrics | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._webhook = Webhook(secret)
        self._policy = policy
        self._sink = sink
        self._metrics = metrics
        self._sleep = sleep
        self._rng = rng or random.Random()

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.webhook_deliveries.labels(sink=self._sink, outcome=outcome).inc()

    async def deliver(self, url: str, alert: Alert) -> DeliveryResult:
        body = json.dumps(render_payload(alert, self._sink), ensure_ascii=False, separators=(",", ":"))
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self._policy.max_attempts + 1):
            headers = sign_headers(self._webhook, alert.id, body)
            retry_after: float | None = None
            try:
                response = await self._client.post(
                    url, content=body.encode("utf-8"), headers=headers, timeout=self._policy.timeout_seconds
                )
            except httpx.TimeoutException as exc:
                status, error = None, f"timeout: {type(exc).__name__}"
            except httpx.TransportError as exc:
                status, error = None, f"transport error: {type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    seconds = time.monotonic() - started
                    self._count("delivered")
                    if self._metrics is not None:
                        self._metrics.webhook_delivery_seconds.labels(sink=self._sink).observe(seconds)
                    return DeliveryResult(url, True, attempt, status, None, seconds)
                error = f"HTTP {status}"
                if status not in RETRYABLE_STATUS:
                    break
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
            if attempt == self._policy.max_attempts:
                break
            delay = retry_after if retry_after is not None else self._policy.backoff(attempt, self._rng)
            if time.monotonic() - started + delay > self._policy.max_age_seconds:
                error = f"{error}; next attempt would pass the {self._policy.max_age_seconds:g} s limit"
                break
            self._count("retried")
            await self._sleep(delay)
        self._count("failed")
        return DeliveryResult(url, False, attempt, status, error, time.monotonic() - started)
