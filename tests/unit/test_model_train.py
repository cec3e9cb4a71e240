"""Training end to end on a tiny fixture set (our own text), then save, load and predict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.artifact import load_model, save_model, sidecar_path
from models.data import load_labelled_file
from models.labels import DEFAULT_CATEGORIES
from models.scoring import Prediction
from models.train import TrainConfig, fit_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def tiny_examples():
    examples = load_labelled_file(FIXTURES / "tiny_train.jsonl", DEFAULT_CATEGORIES, kind="team")
    assert len(examples) >= 30
    return examples


def test_train_save_load_predict(tmp_path: Path, tiny_examples) -> None:
    config = TrainConfig(seed=13, min_df=1, C=2.0)
    model, oof = fit_model(tiny_examples, config, "test-0")
    assert oof.shape == (len(tiny_examples), len(DEFAULT_CATEGORIES))
    assert set(model.thresholds) == set(DEFAULT_CATEGORIES)
    path = tmp_path / "tiny.skops"
    save_model(model, path)
    assert path.is_file() and sidecar_path(path).is_file()
    side = json.loads(sidecar_path(path).read_text())
    assert side["categories"] == list(DEFAULT_CATEGORIES)
    assert side["version"] == "test-0"

    loaded = load_model(path)
    assert loaded.categories == DEFAULT_CATEGORIES
    assert loaded.thresholds == model.thresholds
    texts = [
        "Nordkorea hat erneut Ballons mit Müll über die Grenze nach Südkorea geschickt.",
        "The team won the match after a late goal by the striker.",
    ]
    preds = loaded.predict(texts)
    assert len(preds) == 2 and all(isinstance(p, Prediction) for p in preds)
    first, second = preds
    assert set(first.scores) == set(DEFAULT_CATEGORIES)
    assert all(0.0 <= v <= 1.0 for v in first.scores.values())
    assert first.scores["dmz_incident"] > second.scores["dmz_incident"]
    assert 0.0 <= first.tension <= 1.0
    assert first.tension == pytest.approx(max(first.scores.values()), abs=1e-6)
    for cat in first.labels:
        assert cat in first.evidence and 0 < len(first.evidence[cat]) <= 5
    # the same data and seed give the same model
    again, _ = fit_model(tiny_examples, config, "test-0")
    assert again.thresholds == model.thresholds
    assert again.predict(texts)[0].scores == model.predict(texts)[0].scores


def test_predict_empty_batch(tiny_examples) -> None:
    model, _ = fit_model(tiny_examples, TrainConfig(min_df=1), "test-1")
    assert model.predict([]) == []


def test_thresholds_respect_the_background_rate() -> None:
    import numpy as np

    from models.train import tune_thresholds

    rng = np.random.default_rng(0)
    n = 400
    Y = np.zeros((n, 2), dtype=np.int64)
    Y[:60, 0] = 1
    Y[40:100, 1] = 1
    proba = np.clip(Y * 0.6 + rng.uniform(0, 0.5, size=(n, 2)), 0, 1)
    free = tune_thresholds(proba, Y, ("a", "b"))
    capped = tune_thresholds(proba, Y, ("a", "b"), max_background_fpr=0.01)
    background = Y.sum(axis=1) == 0
    t = np.asarray([capped["a"], capped["b"]])
    assert np.mean(np.any(proba[background] >= t, axis=1)) <= 0.01
    assert capped["a"] >= free["a"] and capped["b"] >= free["b"]


def test_mixed_topic_examples_unite_labels(tiny_examples) -> None:
    from models.train import mixed_topic_examples

    for i, ex in enumerate(tiny_examples):
        ex.group = i
    mixed = mixed_topic_examples(tiny_examples, 20, DEFAULT_CATEGORIES, seed=1)
    assert mixed
    for m in mixed:
        parts = [ex for ex in tiny_examples if ex.text.replace("\n\n", "\n") in m.text]
        assert m.kind == "mixed" and 2 <= len(parts) <= 3
        assert len({p.language for p in parts}) == 1
        for j in range(len(DEFAULT_CATEGORIES)):
            assert m.labels[j] == max(p.labels[j] for p in parts)


def test_cross_fitted_labels_score_each_fold_at_thresholds_tuned_without_it() -> None:
    import numpy as np

    from models.train import cross_fitted_labels

    config = TrainConfig(categories=("a",), max_background_fpr=None)
    # 100 gold rows in folds 0..4 and 50 team-written rows (never scored); positives score 0.9 and
    # negatives 0.1, except fold 0, whose positives score only 0.35
    folds = [i % 5 for i in range(100)]
    Y = np.asarray([[1 if i % 2 == 0 else 0] for i in range(150)])
    proba = np.where(Y == 1, 0.9, 0.1).astype(float)
    fold0 = np.asarray([f == 0 for f in folds] + [False] * 50)
    proba[fold0 & (Y[:, 0] == 1)] = 0.35
    out = cross_fitted_labels(proba, Y, folds, config)
    assert out.shape == (100, 1)
    gold_y = Y[:100, 0]
    in_fold0 = np.asarray(folds) == 0
    # fold 0 is scored at a threshold tuned on the other rows (centre of the 0.1-0.9 plateau, above 0.35)
    assert not out[in_fold0 & (gold_y == 1), 0].any()
    # the other folds' thresholds see fold 0's weak positives, and still separate their own rows
    assert (out[~in_fold0, 0] == gold_y[~in_fold0]).all()


def test_lead_snippet_cuts_title_and_first_sentence() -> None:
    from models.train import lead_snippet

    text = "Grenzvorfall\n\nNordkoreanische Soldaten überquerten am Dienstag die Grenze. Dann kehrten sie um."
    assert (
        lead_snippet(text) == "Grenzvorfall\n\nNordkoreanische Soldaten überquerten am Dienstag die Grenze."
    )
    # an abbreviation or a date is not a sentence end; a text no longer than the snippet gives none
    dated = "SEOUL, Dec. 3 (Yonhap) -- Troops crossed the line near Cheorwon on Monday. Later more came."
    assert lead_snippet(dated) == "SEOUL, Dec. 3 (Yonhap) -- Troops crossed the line near Cheorwon on Monday."
    assert lead_snippet("Only one sentence about a balloon at the border.") is None


def test_lead_snippets_keep_a_label_only_with_its_evidence() -> None:
    from models.data import Example
    from models.train import lead_snippet_examples

    cats = DEFAULT_CATEGORIES
    dmz, weapons = cats.index("dmz_incident"), cats.index("weapons_transfer")
    labels = [0] * len(cats)
    labels[dmz] = labels[weapons] = 1
    ex = Example(
        id="t1",
        text=(
            "Balloons cross the border\n\nNorth Korea sent trash balloons across the border into the "
            "South on Sunday. Separately, Germany delivered more tanks and ammunition to Ukraine."
        ),
        language="en",
        labels=labels,
        kind="team",
        source="team",
        group=7,
    )
    background = Example(
        id="t2",
        text=(
            "Cup final\n\nThe home side won the cup final after extra time in front of a full stadium. "
            "The coach praised the fans."
        ),
        language="en",
        labels=[0] * len(cats),
        kind="gold",
        source="x",
        group=8,
    )
    snip, bg = lead_snippet_examples([ex, background], cats)
    assert snip.kind == "lead" and snip.group == 7 and snip.id == "lead:t1"
    assert "tanks" not in snip.text
    # the border incident is in the lead, the arms delivery is not: its label becomes unknown
    assert snip.labels[dmz] == 1 and snip.labels[weapons] == -1
    assert snip.labels[cats.index("missile_nuclear")] == 0
    assert bg.labels == [0] * len(cats) and bg.group == 8
