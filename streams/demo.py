"""``tension demo``: the whole pipeline on this machine, end to end, then stop everything it started.

A real local Kafka broker (deploy/kafka-local), a real worker process, a real webhook receiver that
verifies every signature, and a replay of the bundled sample articles (with a few malformed messages).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from models.errors import TensionError
from streams.publish import publish_file
from streams.receiver import WebhookReceiver, alert_of
from streams.runner import (
    REPO_ROOT,
    WorkerProcess,
    kafka_local,
    kafka_running,
    metric_value_sum,
    read_topic,
    worker_env,
)
from streams.topics import bootstrap_servers

SAMPLE = Path(__file__).parent / "sample" / "articles.jsonl"
KAFKA_PORT = int(os.environ.get("KAFKA_PORT", "9092"))  # the same variable as deploy/kafka-local
KAFKA_URL = f"kafka://127.0.0.1:{KAFKA_PORT}"


def _say(text: str) -> None:
    print(text, flush=True)


def _table(rows: list[dict[str, Any]]) -> None:
    _say(f"{'id':<12} {'lang':<4} {'tension':>7}  {'labels':<48} {'actors'}")
    _say("-" * 100)
    for row in sorted(rows, key=lambda r: r["id"]):
        labels = ", ".join(row["labels"]) or "-"
        actors = " ".join(row["actors"])
        _say(f"{row['id'][:12]:<12} {row['language']:<4} {row['tension']:>7.2f}  {labels:<48} {actors}")


def extra_bad_messages(producer: KafkaProducer, topic: str) -> int:
    """Malformed messages that a JSON lines file cannot carry: bad UTF-8 and an oversize article."""
    producer.send(topic, key=b"demo-bad-utf8", value=b'{"id": "demo-bad-utf8", "text": "\xff\xfe broken"}')
    huge = json.dumps({"id": "demo-oversize", "text": "x" * (1024 * 1024 + 10)}).encode()
    producer.send(topic, key=b"demo-oversize", value=huge)
    producer.flush()
    return 2


def run_demo(keep_kafka: bool = False, timeout: float = 180.0) -> int:
    started_kafka = False
    if not kafka_running(KAFKA_PORT):
        _say("== starting the local Kafka broker (deploy/kafka-local)")
        kafka_local("up")
        started_kafka = True
    else:
        _say(f"== a Kafka broker already listens on 127.0.0.1:{KAFKA_PORT}: using it")
    run_id = f"demo-{int(time.time())}"
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    state = Path(tempfile.mkdtemp(prefix="tension-demo-"))
    worker: WorkerProcess | None = None
    try:
        with WebhookReceiver(secret) as receiver:
            env = worker_env(
                KAFKA_URL,
                run_id,
                state / "worker",
                extra={"TENSION_WEBHOOK_URLS": receiver.url, "TENSION_WEBHOOK_SECRET": secret},
            )
            _say(f"== starting a worker (topics {run_id}.*, metrics on :{env['TENSION_WEB_PORT']})")
            log_path = REPO_ROOT / ".cache" / "demo" / f"{run_id}-worker.log"
            worker = WorkerProcess(env, log_path).start()
            worker.wait_ready(timeout=120)
            bootstrap = bootstrap_servers(KAFKA_URL)
            topic = f"{run_id}.articles"
            _say(f"== publishing {SAMPLE.name} to {topic}")
            report = publish_file(SAMPLE, bootstrap, topic)
            _say(report.summary())
            producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=4 * 1024 * 1024)
            bad = len(report.invalid) + extra_bad_messages(producer, topic)
            producer.close()
            valid = report.sent - len(report.invalid)

            scored = read_topic(bootstrap, f"{run_id}.articles.scored", lambda m: len(m) >= valid, timeout)
            dead = read_topic(bootstrap, f"{run_id}.articles.dlq", lambda m: len(m) >= bad, 30)
            alerts_sent = read_topic(bootstrap, f"{run_id}.tension.alerts", lambda m: False, 3)
            delivered = receiver.wait_for(len(alerts_sent), timeout=60)

            _say(f"\n== {len(scored)} scored articles (of {valid} valid)")
            _table([m.json() for m in scored])
            _say(f"\n== {len(delivered)} alerts delivered to {receiver.url} (of {len(alerts_sent)} emitted)")
            for item in delivered:
                alert = alert_of(item)
                mark = "signature OK" if item.verified else "BAD SIGNATURE"
                where = alert["region"] or alert["dyad"] or "-"
                window = (
                    f" count {alert['window']['count']} z {alert['window']['zscore']:.1f}"
                    if alert["window"]
                    else ""
                )
                _say(
                    f"  [{mark}] {alert['kind']:<7} {alert['severity']:<8} {alert['rule']:<28} {where:<17}"
                    f" {alert['score']:.2f} {alert['articles'][0]['id']}{window}"
                    f"  evidence: {', '.join(alert['evidence'][:3])}"
                )
            _say(f"\n== {len(dead)} dead letters in {run_id}.articles.dlq")
            for message in dead:
                detail = message.headers.get("x-dlq-detail", b"").decode(errors="replace")
                _say(
                    f"  {message.headers.get('x-dlq-reason', b'?').decode():<14} "
                    f"offset {message.headers.get('x-source-offset', b'?').decode():<4} {detail[:70]}"
                )
            text = worker.metrics_text()
            _say("\n== a few metrics from /metrics")
            for name, labels in [
                ("tension_articles_total", {"outcome": "scored"}),
                ("tension_articles_total", {"outcome": "dead_lettered"}),
                ("tension_alerts_total", {"outcome": "delivered"}),
                ("tension_webhook_deliveries_total", {"outcome": "delivered"}),
                ("tension_article_labels_total", {"category": "dmz_incident"}),
                ("tension_article_labels_total", {"category": "weapons_transfer"}),
            ]:
                shown = ",".join(f"{k}={v}" for k, v in labels.items())
                _say(f"  {name}{{{shown}}} {metric_value_sum(text, name, labels):g}")
            ok = (
                len(scored) == valid
                and len(dead) >= bad
                and len(delivered) == len(alerts_sent) > 0
                and all(r.verified for r in delivered)
            )
            _say("\n== demo " + ("passed" if ok else "FAILED: see the figures above and " + str(log_path)))
            return 0 if ok else 1
    except TensionError as exc:
        _say(f"demo failed: {exc}")
        return 1
    finally:
        if worker is not None:
            worker.stop()
        if started_kafka and not keep_kafka and not os.environ.get("TENSION_DEMO_KEEP_KAFKA"):
            _say("== stopping the local Kafka broker")
            kafka_local("down")


if __name__ == "__main__":
    sys.exit(run_demo())
