"""``tension publish``: a kafka-python producer for ``articles`` JSON lines, keyed by id."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kafka import KafkaProducer
from kafka.errors import KafkaError
from tqdm import tqdm

from models.errors import ConfigError, InputError
from streams.records import best_effort_id, parse_article


@dataclass
class PublishReport:
    sent: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason: detail)
    skipped: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"sent {self.sent}, invalid {len(self.invalid)}, skipped {self.skipped}, "
            f"failed {len(self.failed)}"
        ]
        for number, problem in self.invalid[:20]:
            lines.append(f"  line {number}: invalid ({problem})")
        for number, problem in self.failed[:20]:
            lines.append(f"  line {number}: send failed ({problem})")
        hidden = max(0, len(self.invalid) - 20) + max(0, len(self.failed) - 20)
        if hidden:
            lines.append(f"  ... and {hidden} more")
        return "\n".join(lines)


def check_input(path: Path | str) -> None:
    """A clear error for an input file that is not there (``-`` is stdin)."""
    if str(path) != "-" and not Path(path).is_file():
        raise InputError("missing_file", f"input file not found: {path}")


def count_lines(path: Path | str) -> int | None:
    """Lines in a file (for the progress bar's total); None for stdin."""
    if str(path) == "-":
        return None
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their 1-based numbers, as raw bytes (bad UTF-8 stays as it is)."""
    for number, line in enumerate(stream, start=1):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield number, line


def publish_file(
    path: Path | str,
    bootstrap_servers: list[str],
    topic: str,
    *,
    skip_invalid: bool = False,
    progress: bool = True,
    producer: KafkaProducer | None = None,
) -> PublishReport:
    """Publish every line of ``path`` (``-`` for stdin) as one message keyed by the article id.

    Lines that fail validation are reported; they are still published (the worker dead-letters them, so
    nothing is silently dropped) unless ``skip_invalid`` is set.
    """
    report = PublishReport()
    own = producer is None
    if producer is None:
        try:
            producer = KafkaProducer(
                bootstrap_servers=bootstrap_servers,
                acks="all",
                linger_ms=5,
                max_request_size=8 * 1024 * 1024,
                retries=5,
            )
        except KafkaError as exc:
            raise ConfigError("kafka", f"cannot reach Kafka at {','.join(bootstrap_servers)}: {exc}") from exc
    stream: BinaryIO = sys.stdin.buffer if str(path) == "-" else open(path, "rb")  # noqa: SIM115
    try:
        total = count_lines(path)
        bar = tqdm(total=total, unit="msg", desc=f"publish -> {topic}", disable=not progress)
        futures = []
        for number, line in read_lines(stream):
            try:
                article = parse_article(line)
                key: str | None = article.id
            except InputError as exc:
                report.invalid.append((number, f"{exc.reason}: {exc.detail}"))
                if skip_invalid:
                    report.skipped += 1
                    bar.update(1)
                    continue
                key = best_effort_id(line)
            futures.append((number, producer.send(topic, key=key.encode() if key else None, value=line)))
            bar.update(1)
        producer.flush()
        for number, future in futures:
            try:
                future.get(timeout=60)
                report.sent += 1
            except KafkaError as exc:
                report.failed.append((number, f"{type(exc).__name__}: {exc}"))
        bar.close()
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
        if own:
            producer.close()
    return report
