"""Integration tests run against a real Apache Kafka broker (``make kafka-up``; ``make test`` starts one).

Without a broker they skip on a developer machine and FAIL in CI (``CI=true``), so a green CI always means
the integration tests ran.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from streams.receiver import WebhookReceiver
from streams.runner import WorkerProcess, kafka_running, worker_env

KAFKA_URL = os.environ.get(
    "TENSION_TEST_KAFKA_URL", f"kafka://127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
)
BOOTSTRAP = [KAFKA_URL.removeprefix("kafka://")]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka() -> list[str]:
    _, port = BOOTSTRAP[0].rsplit(":", 1)
    if not kafka_running(int(port)):
        message = f"no Kafka broker at {BOOTSTRAP[0]}: run `make kafka-up` (or `make test`, which starts one)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return BOOTSTRAP


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Pipeline:
    """A real worker process on its own topics, with a real webhook receiver."""

    def __init__(
        self, bootstrap: list[str], tmp: Path, responses: tuple[int, ...] = (), **extra: str
    ) -> None:
        self.bootstrap = bootstrap
        self.run_id = f"it-{uuid.uuid4().hex[:10]}"
        self.secret = new_secret()
        self.receiver = WebhookReceiver(self.secret, responses=responses)
        self.tmp = tmp
        self.extra = extra
        self.worker: WorkerProcess | None = None

    def topic(self, name: str) -> str:
        return f"{self.run_id}.{name}"

    def start_worker(self) -> WorkerProcess:
        env = worker_env(
            KAFKA_URL,
            self.run_id,
            self.tmp / "worker",
            extra={
                "TENSION_WEBHOOK_URLS": self.receiver.url,
                "TENSION_WEBHOOK_SECRET": self.secret,
                "TENSION_WEBHOOK_BACKOFF_INITIAL_SECONDS": "0.2",
                "TENSION_WEBHOOK_BACKOFF_MAX_SECONDS": "1",
                **self.extra,
            },
        )
        self.worker = WorkerProcess(env, self.tmp / f"worker-{int(time.time() * 1000)}.log").start()
        self.worker.wait_ready(timeout=120)
        return self.worker

    def stop_worker(self) -> None:
        if self.worker is not None:
            code = self.worker.stop()
            if code not in (0, -15, None):
                print(self.worker.tail(60))


@contextmanager
def running(pipe: Pipeline) -> Iterator[Pipeline]:
    """The pipeline's receiver and worker, stopped (and the worker's log tail shown if it failed) after."""
    with pipe.receiver:
        try:
            pipe.start_worker()
            yield pipe
        finally:
            pipe.stop_worker()


@pytest.fixture
def pipeline(kafka: list[str], tmp_path: Path) -> Iterator[Pipeline]:
    with running(Pipeline(kafka, tmp_path)) as pipe:
        yield pipe
