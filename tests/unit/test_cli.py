"""The `tension` entry point: offline scoring with the shipped model, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "streams" / "sample" / "articles.jsonl"


def test_score_writes_one_line_per_input_in_order(tmp_path: Path) -> None:
    out = tmp_path / "scored.jsonl"
    assert main(["score", "--input", str(SAMPLE), "--output", str(out), "--quiet"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    inputs = [line for line in SAMPLE.read_text().splitlines() if line.strip()]
    assert len(lines) == len(inputs)
    good = [line for line in lines if "error" not in line]
    bad = [line for line in lines if "error" in line]
    assert [g["id"] for g in good] == [f"sample-{i:03d}" for i in range(1, 27)]
    assert len(bad) == 4 and {b["line"] for b in bad} == {27, 28, 29, 30}
    for record in good:
        assert set(record) >= {"id", "labels", "scores", "tension", "language", "actors", "model_version"}
        assert set(record["labels"]) <= set(record["scores"])


def test_missing_input_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--input", "/nonexistent/file.jsonl", "--quiet"]) == 2
    assert "input file not found" in capsys.readouterr().err


def test_publish_without_a_broker_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", str(SAMPLE), "--kafka-url", "kafka://127.0.0.1:1", "--quiet"]) == 2
    assert "cannot reach Kafka" in capsys.readouterr().err


def test_bad_rule_file_stops_the_worker_before_kafka(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: [{name: a, kind: article, category: not_a_category, min_score: 0.5}]")
    monkeypatch.setenv("TENSION_RULES_PATH", str(rules))
    monkeypatch.setenv("TENSION_KAFKA_URL", "kafka://127.0.0.1:1")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert "unknown category 'not_a_category'" in err and "cannot reach Kafka" not in err


def test_publish_of_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", "/nonexistent/file.jsonl", "--quiet"]) == 2
    assert "input file not found" in capsys.readouterr().err
