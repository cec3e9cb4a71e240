"""The `train` and `evaluate` subcommands register on a parser and run `evaluate` on a file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from models.commands import register

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tension")
    register(parser.add_subparsers(dest="command"))
    return parser


def test_register_adds_train_and_evaluate() -> None:
    args = _parser().parse_args(["train", "--seed", "7", "--out", "x"])
    assert args.seed == 7 and args.out == Path("x") and callable(args.func)
    args = _parser().parse_args(["evaluate", "--data", "f.jsonl"])
    assert args.model is None and callable(args.func)


def test_train_defaults_match_the_training_config() -> None:
    from models.train import TrainConfig

    args = _parser().parse_args(["train"])
    assert args.max_background_fpr == TrainConfig.max_background_fpr
    assert args.seed == TrainConfig.seed


def test_evaluate_default_resamples_match_the_evaluation_module() -> None:
    from models.evaluate import BOOTSTRAP_ROUNDS

    args = _parser().parse_args(["evaluate", "--data", "f.jsonl"])
    assert args.bootstrap == BOOTSTRAP_ROUNDS


def test_train_with_missing_data_dir(tmp_path: Path, capsys) -> None:
    args = _parser().parse_args(["train", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path)])
    assert args.func(args) == 2
    assert "not found" in capsys.readouterr().err


def test_evaluate_writes_report(tmp_path: Path, capsys) -> None:
    args = _parser().parse_args(
        ["evaluate", "--data", str(FIXTURES / "paraphrases.jsonl"), "--out", str(tmp_path)]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "background FPR" in out and "90% interval" in out
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["intervals"]["rounds"] == 1000
    assert (tmp_path / "pr_curves.png").is_file() and (tmp_path / "confusion.png").is_file()


def test_evaluate_without_intervals(capsys) -> None:
    data = str(FIXTURES / "paraphrases.jsonl")
    args = _parser().parse_args(["evaluate", "--data", data, "--bootstrap", "0"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "interval" not in out


@pytest.mark.parametrize("value", ["-1", "many"])
def test_evaluate_refuses_a_bad_resample_count(value: str, capsys) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["evaluate", "--data", "f.jsonl", "--bootstrap", value])
    assert "resamples" in capsys.readouterr().err
