"""The operations stack against the real thing: Debian's Prometheus and Alertmanager binaries, the project's
Prometheus rules and Alertmanager routes, a real worker on a real broker, a replay of the sample articles.

After the replay every dashboard query returns data through Prometheus's HTTP API (queries on the windowed
signal metrics are skipped, and listed, while the worker does not export them yet), and a rule-based alert
(TensionDMZIncidentSurge) fires in Prometheus and reaches a local webhook receiver through Alertmanager's
severity route. Only the timings are changed for the test: 1 s scrapes and evaluations, `for:` 2 s,
Alertmanager group waits 1 s.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from streams.publish import publish_file
from streams.runner import REPO_ROOT, free_port
from tests.integration.conftest import Pipeline, running
from tests.ops_support import (
    ALERTMANAGER_CONFIG,
    RULE_FILES,
    SIGNAL_METRICS,
    dashboard_queries,
    metric_names,
    require_tool,
)
from tests.script_loader import load_module

SAMPLE = REPO_ROOT / "streams" / "sample" / "articles.jsonl"
REPLAYS = 3  # the sample articles, three times under new ids: enough DMZ incidents for the surge rule


def load_sink_module() -> ModuleType:
    return load_module(Path("deploy/alertmanager/webhook_logger.py"), "tension_webhook_logger")


def http_json(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def wait_until(what: str, check: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


class Daemon:
    """A process started here, stopped by its own handle (never by name)."""

    def __init__(self, name: str, args: list[str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(args, stdout=self._log_file, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log_file.close()


def render_rules(target: Path) -> list[Path]:
    """The project's rule files with every `for:` shortened to 2 s (nothing else changes)."""
    target.mkdir(parents=True, exist_ok=True)
    rendered = []
    for path in RULE_FILES:
        text = re.sub(r"^(\s+)for: \S+$", r"\1for: 2s", path.read_text(), flags=re.M)
        out = target / path.name
        out.write_text(text)
        rendered.append(out)
    return rendered


def render_alertmanager(sink_url: str, target: Path) -> Path:
    """The project's Alertmanager config: same routes, receivers and inhibitions; URLs to the local sink,
    group waits of 1 s."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = hook["url"].replace("http://alert-webhook:9099", sink_url)
    for route in [config["route"], *config["route"].get("routes", [])]:
        route["group_wait"] = "1s"
        route["group_interval"] = "1s"
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def render_prometheus(worker_port: int, am_port: int, rules: list[Path], target: Path) -> Path:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rules],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
        "scrape_configs": [
            {
                "job_name": "tension-worker",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
            }
        ],
    }
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def replay_file(tmp: Path, n: int) -> tuple[Path, int]:
    """Replay ``n`` of the sample articles under fresh ids (the invalid lines as they are): (file, lines)."""
    out = tmp / f"replay-{n}.jsonl"
    lines = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        try:
            article = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        if isinstance(article, dict) and isinstance(article.get("id"), str):
            article["id"] = f"{article['id']}-r{n}"
        lines.append(json.dumps(article, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out, len(lines)


def worker_rules_without_cooldowns(tmp: Path) -> Path:
    """The worker's shipped alert rules with every cooldown at 0, so that each replay raises (and delivers)
    alerts again: webhook latency is then observed across several scrapes."""
    text = (REPO_ROOT / "streams" / "rules" / "default.yaml").read_text(encoding="utf-8")
    out = tmp / "worker-rules.yaml"
    out.write_text(re.sub(r"^(\s+)cooldown: \S+$", r"\1cooldown: 0", text, flags=re.M), encoding="utf-8")
    return out


class PromAPI:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def query(self, expr: str) -> list[dict[str, Any]]:
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        body = http_json(url)
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def firing(self) -> set[str]:
        alerts = http_json(f"{self.base}/api/v1/alerts")["data"]["alerts"]
        return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}


@pytest.fixture
def ops_binaries() -> tuple[str, str]:
    return require_tool("prometheus"), require_tool("prometheus-alertmanager")


@pytest.fixture
def ops_pipeline(kafka: list[str], tmp_path: Path) -> Iterator[Pipeline]:
    """A real worker (as in conftest's ``pipeline``) with the shipped rules minus their cooldowns."""
    pipe = Pipeline(kafka, tmp_path, TENSION_RULES_PATH=str(worker_rules_without_cooldowns(tmp_path)))
    with running(pipe):
        yield pipe


@pytest.fixture
def sink() -> Iterator[Any]:
    module = load_sink_module()
    with module.AlertSink() as alert_sink:
        yield alert_sink


@pytest.mark.timeout(240)
def test_dashboards_have_data_and_an_alert_reaches_the_webhook(
    ops_binaries: tuple[str, str], sink: Any, ops_pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline = ops_pipeline
    prometheus_bin, alertmanager_bin = ops_binaries
    worker = pipeline.worker
    assert worker is not None
    worker_port = int(worker.env["TENSION_WEB_PORT"])
    prom_port, am_port = free_port(), free_port()

    am_config = render_alertmanager(sink.url, tmp_path / "alertmanager.yml")
    rules = render_rules(tmp_path / "rules")
    prom_config = render_prometheus(worker_port, am_port, rules, tmp_path / "prometheus.yml")

    daemons: list[Daemon] = []
    try:
        daemons.append(
            Daemon(
                "alertmanager",
                [
                    alertmanager_bin,
                    f"--config.file={am_config}",
                    f"--storage.path={tmp_path / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{am_port}",
                    "--cluster.listen-address=",
                ],
                tmp_path / "alertmanager.log",
            )
        )
        daemons.append(
            Daemon(
                "prometheus",
                [
                    prometheus_bin,
                    f"--config.file={prom_config}",
                    f"--storage.tsdb.path={tmp_path / 'prom-data'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                tmp_path / "prometheus.log",
            )
        )
        for daemon, port in zip(daemons, (am_port, prom_port), strict=True):

            def ready(d: Daemon = daemon, p: int = port) -> bool:
                return d.alive() and _ok(f"http://127.0.0.1:{p}/-/ready")

            wait_until(f"{daemon.name} ready", ready, timeout=30)
            assert daemon.alive(), daemon.tail()
        prom = PromAPI(prom_port)

        # The rules loaded are the project's (all groups), and the worker is scraped before the replay,
        # so the counters' increase from zero is seen.
        groups = http_json(f"http://127.0.0.1:{prom_port}/api/v1/rules")["data"]["groups"]
        loaded = {rule["name"] for group in groups for rule in group["rules"]}
        assert {"TensionDMZIncidentSurge", "TensionWorkerDown", "job:tension_consumer_lag:sum"} <= loaded
        wait_until(
            "Prometheus scraping the worker",
            lambda: prom.query('tension_alerts_total{category="dmz_incident", outcome="emitted"}'),
            timeout=30,
        )

        # The replays one after the other, each scraped before the next: rates and latency quantiles then
        # see increases between samples.
        valid = 0
        for n in range(REPLAYS):
            replay, lines = replay_file(tmp_path, n)
            report = publish_file(replay, pipeline.bootstrap, pipeline.topic("articles"), progress=False)
            assert report.sent == lines and report.invalid and not report.failed, report.summary()
            valid += report.sent - len(report.invalid)  # the invalid lines are sent too, and dead-lettered

            def scored(expected: int = valid) -> bool:
                result = prom.query('sum(tension_articles_total{outcome="scored"})')
                return bool(result) and float(result[0]["value"][1]) >= expected

            wait_until(f"replay {n} to be scored (seen by Prometheus)", scored, timeout=90)
            time.sleep(2.5)  # two more scrapes

        # The surge rule fires in Prometheus and Alertmanager routes it (critical) to the pager webhook.
        notes = sink.wait_for(
            lambda ns: any("TensionDMZIncidentSurge" in n.alertnames() for n in ns), timeout=60
        )
        surge = [n for n in notes if "TensionDMZIncidentSurge" in n.alertnames()]
        per_window = prom.query('sum by (window) (tension_region_articles{category="dmz_incident"})')
        assert surge, (
            f"no TensionDMZIncidentSurge notification; firing: {prom.firing()}; "
            f"DMZ articles per window: {per_window}; "
            f"received: {[(n.path, n.alertnames()) for n in notes]}\n{daemons[0].tail()}"
        )
        note = surge[0]
        assert note.path == "/critical"
        assert note.body["version"] == "4" and note.body["status"] == "firing"
        alert = next(a for a in note.body["alerts"] if a["labels"]["alertname"] == "TensionDMZIncidentSurge")
        assert alert["labels"]["severity"] == "critical" and alert["labels"]["team"] == "analysts"
        assert alert["labels"]["category"] == "dmz_incident"
        assert "Surge of DMZ incidents" in alert["annotations"]["summary"]
        assert "TensionDMZIncidentSurge" in prom.firing()
        am_alerts = http_json(f"http://127.0.0.1:{am_port}/api/v2/alerts")
        assert any(a["labels"]["alertname"] == "TensionDMZIncidentSurge" for a in am_alerts)

        # Every dashboard query returns data (finite values) through the HTTP API (retried for up to 30 s:
        # the last deliveries and the lag refresh may still be on their way).
        exported = _exported_metrics(worker.metrics_text())
        skipped: list[str] = []
        empty: list[str] = []
        deadline = time.monotonic() + 30
        while True:
            skipped, empty = [], []
            for dashboard, title, expr in dashboard_queries():
                missing = {m for m in metric_names(expr) if m in SIGNAL_METRICS and m not in exported}
                if missing:
                    skipped.append(f"{dashboard} / {title}: {expr}  (not exported yet: {sorted(missing)})")
                    continue
                result = prom.query(expr.replace("$__rate_interval", "5m"))
                values = [float(sample["value"][1]) for sample in result]
                if not any(math.isfinite(v) for v in values):
                    empty.append(f"{dashboard} / {title}: {expr} -> {result}")
            if not empty or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert not empty, "dashboard queries without data:\n" + "\n".join(empty)
        assert len(skipped) < len(dashboard_queries())
        if skipped:
            warnings.warn(
                "dashboard queries skipped (signal metrics of issue 4 not exported by the worker yet):\n"
                + "\n".join(skipped),
                stacklevel=1,
            )
        for daemon in daemons:
            assert daemon.alive(), daemon.tail()
    finally:
        for daemon in reversed(daemons):
            daemon.stop()


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _exported_metrics(text: str) -> set[str]:
    from prometheus_client.parser import text_string_to_metric_families

    return {family.name for family in text_string_to_metric_families(text)} | {
        f"{family.name}_total" for family in text_string_to_metric_families(text) if family.type == "counter"
    }
