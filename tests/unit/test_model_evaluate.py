"""Evaluation figures: bootstrap intervals of the F1s, macro-F1s and background rates, and their column."""

from __future__ import annotations

import numpy as np
import pytest

from models.evaluate import bootstrap_intervals, format_table, metrics_report

CATS = ("a", "b")


def _noisy(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, 2)) < 0.2).astype(np.int64)
    P = Y.copy()
    flip = rng.random((n, 2)) < 0.1
    P[flip] = 1 - P[flip]
    return Y, P, ["en" if i % 3 else "de" for i in range(n)]


def test_intervals_hold_the_figures_measured_on_all_items() -> None:
    Y, P, langs = _noisy(300)
    report = metrics_report(Y, P, langs, CATS, bootstrap=500, seed=3)
    iv = report["intervals"]
    assert iv["level"] == 0.9 and iv["rounds"] == 500
    for name, block in [("overall", report["overall"]), *report["by_language"].items()]:
        ib = iv["overall"] if name == "overall" else iv["by_language"][name]
        lo, hi = ib["macro_f1"]
        assert lo < block["macro_f1"] < hi
        lo, hi = ib["background_fpr"]
        assert lo <= block["background_fpr"] <= hi
        for c in CATS:
            lo, hi = ib["per_category"][c]
            assert lo < block["per_category"][c]["f1"] < hi


def test_intervals_are_seeded_and_narrow_with_more_items() -> None:
    Y, P, langs = _noisy(200)
    first = bootstrap_intervals(Y, P, langs, CATS, rounds=400, seed=5)
    assert first == bootstrap_intervals(Y, P, langs, CATS, rounds=400, seed=5)
    assert first != bootstrap_intervals(Y, P, langs, CATS, rounds=400, seed=6)
    big = bootstrap_intervals(np.tile(Y, (9, 1)), np.tile(P, (9, 1)), langs * 9, CATS, rounds=400, seed=5)
    width = first["overall"]["macro_f1"][1] - first["overall"]["macro_f1"][0]
    big_width = big["overall"]["macro_f1"][1] - big["overall"]["macro_f1"][0]
    assert big_width < width / 2  # nine times the items: about a third of the width


def test_perfect_predictions_and_undefined_figures() -> None:
    Y = np.asarray([[1, 0], [0, 0], [1, 0], [0, 0]])
    iv = bootstrap_intervals(Y, Y.copy(), ["en"] * 4, CATS, rounds=200)
    assert iv["overall"]["per_category"]["a"] == [1.0, 1.0]
    assert iv["overall"]["background_fpr"] == [0.0, 0.0]
    assert iv["overall"]["per_category"]["b"] is None  # no positive of "b" in any resample


def test_bad_arguments_are_refused() -> None:
    Y, P, langs = _noisy(20)
    with pytest.raises(ValueError, match="rounds"):
        bootstrap_intervals(Y, P, langs, CATS, rounds=0)
    with pytest.raises(ValueError, match="level"):
        bootstrap_intervals(Y, P, langs, CATS, level=1.5)


def test_table_shows_the_interval_column_only_when_computed() -> None:
    Y, P, langs = _noisy(120)
    plain = format_table(metrics_report(Y, P, langs, CATS), CATS)
    assert "interval" not in plain
    report = metrics_report(Y, P, langs, CATS, bootstrap=200)
    table = format_table(report, CATS)
    assert "90% interval" in table.splitlines()[0]
    lo, hi = report["intervals"]["overall"]["macro_f1"]
    macro_line = next(line for line in table.splitlines() if line.startswith("all") and "macro-F1" in line)
    assert macro_line.endswith(f"{lo:.3f}-{hi:.3f}")


def test_resampling_with_every_item_once_gives_the_report_figures() -> None:
    from models.evaluate import _resampled_figures

    Y, P, langs = _noisy(150, seed=7)
    report = metrics_report(Y, P, langs, CATS)
    f1, macro, fpr = _resampled_figures(np.ones((1, len(Y)), dtype=np.int64), Y, P)
    assert macro[0] == pytest.approx(report["overall"]["macro_f1"], abs=1e-4)
    assert fpr[0] == pytest.approx(report["overall"]["background_fpr"], abs=1e-4)
    for j, c in enumerate(CATS):
        assert f1[0, j] == pytest.approx(report["overall"]["per_category"][c]["f1"], abs=1e-4)
