"""Pipeline benchmark (not a test): articles/s through a real worker on the local broker, end-to-end
latency (publish -> scored) p50/p99, and the model alone in docs/s, all in one run.

    make kafka-up && .venv/bin/python bench/pipeline.py [--count 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaProducer
from tqdm import tqdm

from streams.records import parse_article
from streams.runner import WorkerProcess, kafka_running, metric_value_sum, read_topic, worker_env
from streams.scoring import load_scorer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "streams" / "sample" / "articles.jsonl"


def corpus(count: int) -> list[bytes]:
    """``count`` article-sized messages (about 1.5-3 KB) built from the bundled sample articles."""
    base = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        try:
            article = json.loads(line)
            parse_article(line.encode())
        except Exception:
            continue
        while len(article["text"]) < 1500:
            article["text"] += "\n" + article["text"]
        article["text"] = article["text"][:3000]
        base.append(article)
    messages = []
    for i in range(count):
        article = dict(base[i % len(base)])
        article["id"] = f"bench-{i:06d}"
        messages.append(json.dumps(article, ensure_ascii=False).encode())
    return messages


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def model_alone(messages: list[bytes], batch: int = 64) -> float:
    scorer = load_scorer()
    articles = [parse_article(m) for m in messages]
    scorer.score(articles[:batch])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(articles), batch):
        scorer.score(articles[i : i + batch])
    return len(articles) / (time.perf_counter() - started)


def summary(latencies: list[float]) -> str:
    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000
    return f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms ({len(latencies)} articles)"


def wait_drained(worker: WorkerProcess, quiet: float = 3.0, timeout: float = 600) -> float:
    """Wait until the aggregation stage has caught up (its signal counter stops moving); return when it
    last moved."""
    last_value, last_change = -1.0, time.time()
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = metric_value_sum(worker.metrics_text(), "tension_signals_total")
        if value != last_value:
            last_value, last_change = value, time.time()
        elif time.time() - last_change >= quiet:
            return last_change
        time.sleep(0.5)
    return time.time()


def paced_latencies(args: argparse.Namespace, run_id: str, messages: list[bytes]) -> list[float]:
    """Publish at a steady rate (no backlog) and measure publish -> scored for each article."""
    producer = KafkaProducer(bootstrap_servers=[args.kafka], linger_ms=0)
    topic = f"{run_id}.articles"
    interval = 1.0 / args.paced_rate
    start = time.perf_counter()
    for i, message in enumerate(messages):
        article = json.loads(message)
        article["id"] = f"paced-{i:06d}"
        producer.send(topic, key=article["id"].encode(), value=json.dumps(article).encode())
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    producer.flush()
    wanted = len(messages) + args.count

    scored = read_topic([args.kafka], f"{run_id}.articles.scored", lambda m: len(m) >= wanted, timeout=300)
    out = []
    for m in scored:
        record = m.json()
        if record["id"].startswith("paced-"):
            out.append(record["timings"]["scored_at"] - record["timings"]["ingested_at"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--kafka", default="127.0.0.1:9092")
    parser.add_argument("--paced-rate", type=int, default=100, help="msg/s of the steady latency phase")
    args = parser.parse_args()
    if not kafka_running(int(args.kafka.rsplit(":", 1)[1])):
        raise SystemExit(f"no broker at {args.kafka}: run `make kafka-up` first")
    messages = corpus(args.count)
    size = sum(len(m) for m in messages) / len(messages)
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    state = Path(tempfile.mkdtemp(prefix="tension-bench-"))
    worker = WorkerProcess(
        worker_env(f"kafka://{args.kafka}", run_id, state / "worker", extra={"TENSION_LOG_LEVEL": "warning"}),
        state / "worker.log",
    ).start()
    try:
        worker.wait_ready(timeout=120)
        time.sleep(2)
        producer = KafkaProducer(bootstrap_servers=[args.kafka], linger_ms=20, batch_size=256 * 1024)
        topic = f"{run_id}.articles"
        started = time.time()
        for i, message in enumerate(tqdm(messages, desc="publish", unit="msg")):
            producer.send(topic, key=f"bench-{i:06d}".encode(), value=message)
        producer.flush()
        published = time.time()
        bar = tqdm(total=len(messages), desc="scored", unit="msg")

        def done(batch: list[object]) -> bool:
            bar.n = len(batch)
            bar.refresh()
            return len(batch) >= len(messages)

        scored = read_topic([args.kafka], f"{run_id}.articles.scored", done, timeout=1800)
        bar.close()
        finished = max(m.timestamp_ms for m in scored) / 1000
        latencies = [m.json()["timings"]["scored_at"] - m.json()["timings"]["ingested_at"] for m in scored]
        drained = wait_drained(worker)
        paced = paced_latencies(args, run_id, messages[: args.paced_rate * 10])
        alone = model_alone(messages[:5000])
        print("\n== bench/pipeline.py")
        print(f"messages: {len(messages)} (mean {size / 1024:.1f} KB), scored: {len(scored)}")
        print(f"publish rate: {len(messages) / (published - started):,.0f} msg/s")
        print(f"throughput through the worker: {len(scored) / (finished - started):,.0f} articles/s")
        whole = len(scored) / (drained - started)
        print(f"whole pipeline incl. windows/signals drained: {whole:,.0f} articles/s")
        print(f"latency under the {len(messages)} backlog (queueing included): {summary(latencies)}")
        print(f"latency at a steady {args.paced_rate} msg/s (publish -> scored): {summary(paced)}")
        print(f"model alone (score incl. language + actors, batches of 64): {alone:,.0f} docs/s")
        print(f"worker share of model-alone speed: {len(scored) / (finished - started) / alone:.0%}")
    finally:
        worker.stop()


if __name__ == "__main__":
    main()
