"""Running the pipeline locally: the local broker, a worker process and topic readers.

Shared by ``tension demo``, the integration tests and the benchmarks, so they all exercise the same real
parts (a real broker, a real worker process, real HTTP).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kafka import KafkaConsumer, TopicPartition

from models.errors import TensionError

REPO_ROOT = Path(__file__).resolve().parents[1]
KAFKA_SCRIPT = REPO_ROOT / "deploy" / "kafka-local" / "kafka.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kafka_running(port: int = 9092) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def kafka_local(command: str, timeout: float = 600) -> None:
    """Run ``deploy/kafka-local/kafka.sh COMMAND`` (up, down, status, reset)."""
    if not KAFKA_SCRIPT.is_file():
        raise TensionError(f"{KAFKA_SCRIPT} not found: run from a clone of the repository")
    result = subprocess.run(["bash", str(KAFKA_SCRIPT), command], timeout=timeout, check=False)
    if result.returncode != 0:
        raise TensionError(f"kafka.sh {command} failed with exit code {result.returncode}")


@dataclass
class WorkerProcess:
    """A ``tension worker`` subprocess with its own environment; stopped with SIGTERM (or killed)."""

    env: Mapping[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.env['TENSION_WEB_PORT']}"

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        env = {**os.environ, **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until the worker serves /healthz and its agents have partitions assigned."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise TensionError(f"worker exited with {self.process.returncode}: {self.tail()}")
            try:
                with urllib.request.urlopen(self.web_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise TensionError(f"worker not ready after {timeout:.0f} s: {self.tail()}")

    def metrics_text(self) -> str:
        with urllib.request.urlopen(self.web_url + "/metrics", timeout=5) as response:
            return str(response.read().decode("utf-8"))

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30, kill: bool = False) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
        return self.process.returncode


def metric_value_sum(metrics_text: str, name: str, labels: Mapping[str, str] | None = None) -> float:
    """The sum of the samples of ``name`` (Prometheus text format) whose labels include ``labels``."""
    from prometheus_client.parser import text_string_to_metric_families

    wanted = dict(labels or {})
    total = 0.0
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in wanted.items()):
                total += float(sample.value)
    return total


@dataclass
class TopicMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]
    timestamp_ms: int

    def json(self) -> Any:
        return json.loads(self.value)


def read_topic(
    bootstrap: list[str],
    topic: str,
    until: Callable[[list[TopicMessage]], bool],
    timeout: float,
) -> list[TopicMessage]:
    """Read ``topic`` from the beginning until ``until(messages)`` holds or ``timeout`` passes."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=500,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    messages: list[TopicMessage] = []
    try:
        deadline = time.monotonic() + timeout
        assigned: set[int] = set()
        while time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic) or set()
            if partitions - assigned:
                assigned = set(partitions)
                tps = [TopicPartition(topic, p) for p in sorted(assigned)]
                consumer.assign(tps)
                consumer.seek_to_beginning(*tps)
                messages.clear()
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    messages.append(
                        TopicMessage(
                            topic=record.topic,
                            partition=record.partition,
                            offset=record.offset,
                            key=record.key,
                            value=record.value,
                            headers={k: v for k, v in (record.headers or [])},
                            timestamp_ms=record.timestamp,
                        )
                    )
            if until(messages):
                break
        return messages
    finally:
        consumer.close()


def worker_env(
    kafka_url: str,
    run_id: str,
    data_dir: Path,
    web_port: int | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for an isolated worker: its own topics (prefix), consumer group and state folder."""
    env = {
        "TENSION_KAFKA_URL": kafka_url,
        "TENSION_APP_ID": f"tension-{run_id}",
        "TENSION_TOPIC_PREFIX": f"{run_id}.",
        "TENSION_DATA_DIR": str(data_dir),
        "TENSION_WEB_PORT": str(web_port or free_port()),
        "TENSION_LOG_LEVEL": "info",
    }
    env.update(extra or {})
    return env
