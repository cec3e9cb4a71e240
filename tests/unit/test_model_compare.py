"""scripts/model_compare.py: the threshold-free figure it compares recipes on."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from models.data import Example
from tests.script_loader import load_module


def _module() -> ModuleType:
    return load_module(Path("scripts/model_compare.py"), "model_compare")


def _ex(i: int, lang: str, labels: list[int]) -> Example:
    return Example(id=str(i), text="t", language=lang, labels=labels, kind="gold", source="s")


def test_mean_ap_per_language_and_skips_rare_categories() -> None:
    mod = _module()
    items = [_ex(0, "en", [1, 0]), _ex(1, "en", [1, 0]), _ex(2, "en", [0, 1]), _ex(3, "de", [0, 0])]
    perfect = np.asarray([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.1]])
    # category 2 has one positive only: left out; category 1 ranked perfectly
    assert mod.mean_ap(items, perfect, None) == 1.0
    reversed_ = np.asarray([[0.1, 0.1], [0.2, 0.2], [0.9, 0.9], [0.8, 0.1]])
    assert mod.mean_ap(items, reversed_, None) < 0.7
    assert np.isnan(mod.mean_ap(items, perfect, "de"))  # no German positives
    assert mod.label_matrix(items).shape == (4, 2)


def test_subsample_keeps_whole_groups_seeded() -> None:
    mod = _module()
    items = [
        Example(id=str(i), text="t", language="en", labels=[0], kind="gold", source="s", group=i // 2)
        for i in range(40)
    ]  # 20 groups of two
    half = mod.subsample(items, 0.5, seed=3)
    assert len(half) == 20
    kept = {ex.group for ex in half}
    assert all(ex.group in kept for ex in items if ex.group in kept) and len(kept) == 10
    assert [ex.id for ex in mod.subsample(items, 0.5, seed=3)] == [ex.id for ex in half]
    assert {ex.group for ex in mod.subsample(items, 0.5, seed=4)} != kept
    assert mod.subsample(items, 1.0, seed=3) == items
    with pytest.raises(ValueError, match="fraction"):
        mod.subsample(items, 0.0, seed=3)


def test_fractions_are_checked_on_the_command_line(capsys) -> None:
    with pytest.raises(SystemExit):
        _module().main(["--gold-fraction", "1.5"])
    assert "--gold-fraction must be in (0, 1]" in capsys.readouterr().err
