"""scripts/gold_agreement.py: a second labelling pass scored against the gold."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from models.errors import InputError
from tests.script_loader import load_module

CATS = ("a", "b")


def _module() -> ModuleType:
    return load_module(Path("scripts/gold_agreement.py"), "gold_agreement")


def test_agreement_per_set_and_the_ids_that_differ(tmp_path: Path) -> None:
    mod = _module()
    path = tmp_path / "review.jsonl"
    path.write_text(
        '{"id": "1", "labels": ["a"], "set": "holdout"}\n'
        '{"id": "2", "labels": ["a", "b"], "set": "holdout", "sure": false}\n'
        '{"id": "3", "labels": [], "set": "train"}\n'
        '{"id": "4", "labels": ["b"], "set": "train"}\n'
        '{"id": "9", "labels": []}\n',
        encoding="utf-8",
    )
    review = mod.read_review(path)
    assert review["2"].sure is False and review["1"].set == "holdout"
    gold = {"1": ([1, 0], "en"), "2": ([1, 0], "de"), "3": ([0, 0], "en"), "4": ([0, 1], "de")}
    reports, differ = mod.agreement(gold, review, CATS)
    assert differ == ["2"]  # "9" is not in the gold: not compared
    assert list(reports) == ["all", "holdout", "train"]
    overall = reports["all"]["overall"]
    assert overall["per_category"]["a"]["f1"] == 1.0
    assert overall["per_category"]["b"]["precision"] == 0.5 and overall["per_category"]["b"]["recall"] == 1.0
    assert reports["train"]["overall"]["macro_f1"] == 1.0  # only category b has positives there
    assert reports["holdout"]["overall"]["per_category"]["b"]["fp"] == 1


def test_bad_review_lines_are_clear_errors(tmp_path: Path) -> None:
    mod = _module()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "labels": "a"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:1"):
        mod.read_review(bad)
    twice = tmp_path / "twice.jsonl"
    twice.write_text('{"id": "1", "labels": []}\n{"id": "1", "labels": ["a"]}\n', encoding="utf-8")
    with pytest.raises(InputError, match="appears twice"):
        mod.read_review(twice)
