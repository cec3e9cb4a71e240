"""Label rules (models.rules): measured floors, applied only where the frame fires, kept in the artifact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from models.artifact import load_model, save_model, sidecar_path
from models.data import load_labelled_file
from models.errors import ModelError
from models.features import extract_features
from models.labels import DEFAULT_CATEGORIES
from models.lexicon import LABEL_RULES
from models.rules import MIN_RULE_SUPPORT, RuleSet, fit_rules
from models.scoring import TensionModel
from models.train import TrainConfig, fit_model, tune_thresholds

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CATS = ("a", "b")
NAMES = ("t:word", "x:frame")


def _matrix(fires: list[int]) -> sp.csr_matrix:
    """Rows with the word everywhere and the frame where ``fires`` is 1."""
    return sp.csr_matrix(np.column_stack([np.ones(len(fires)), np.asarray(fires, dtype=float)]))


def test_fit_rules_measures_smoothed_precision_on_known_rows() -> None:
    fires = [1] * 12 + [0] * 8
    Y = np.zeros((20, 2), dtype=np.int64)
    Y[:10, 1] = 1  # 10 of the 12 firing rows are positive for "b"
    Y[12:, 1] = 1  # positives without the frame do not count
    rules = fit_rules(_matrix(fires), Y, NAMES, CATS, {"frame": "b"})
    assert rules == {"x:frame": {"category": "b", "floor": round(11 / 14, 4), "support": 12, "positives": 10}}
    Y[:3, 1] = -1  # unknown labels leave the count: 9 firing rows with a known label remain
    assert fit_rules(_matrix(fires), Y, NAMES, CATS, {"frame": "b"}) == {}
    assert MIN_RULE_SUPPORT == 10
    # a frame the model has no feature for, or a category it does not know, makes no rule
    assert fit_rules(_matrix(fires), Y, NAMES, CATS, {"other": "b", "frame": "c"}) == {}


def test_rule_set_raises_only_firing_rows_and_never_lowers() -> None:
    rules = {"x:frame": {"category": "b", "floor": 0.9}}
    rs = RuleSet(rules, {n: i for i, n in enumerate(NAMES)}, CATS)
    proba = np.asarray([[0.1, 0.2], [0.3, 0.95], [0.4, 0.1]])
    out, raised = rs.apply(proba, _matrix([1, 1, 0]))
    assert out.tolist() == [[0.1, 0.9], [0.3, 0.95], [0.4, 0.1]]
    assert raised == {(0, 1): "x:frame"}
    assert proba[0, 1] == 0.2  # the input is not modified
    assert len(RuleSet({}, {}, CATS)) == 0


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"x:nope": {"category": "b", "floor": 0.9}}, "not a feature"),
        ({"x:frame": {"category": "zzz", "floor": 0.9}}, "unknown category"),
        ({"x:frame": {"category": "b", "floor": 1.5}}, "floor"),
        ({"x:frame": {"category": "b"}}, "floor"),
    ],
)
def test_rule_set_rejects_bad_rules(rule: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuleSet(rule, {n: i for i, n in enumerate(NAMES)}, CATS)


def test_the_lexicon_rules_name_known_frames_and_categories() -> None:
    assert LABEL_RULES
    assert set(LABEL_RULES.values()) <= set(DEFAULT_CATEGORIES)
    feats = extract_features("North Korean soldiers are fighting alongside Russian troops in Kursk.")
    assert "x:nk_troops_abroad" in feats and LABEL_RULES["nk_troops_abroad"] == "military_cooperation"
    assert "x:nk_troops_abroad" not in extract_features(
        "North Korean soldiers crossed the border at the DMZ."
    )


def test_background_rate_is_measured_on_the_given_rows_only() -> None:
    n = 200
    Y = np.zeros((n, 1), dtype=np.int64)
    Y[:40, 0] = 1
    proba = np.where(Y == 1, 0.7, 0.1).astype(float)
    proba[100:110, 0] = 0.75  # ten background rows score like positives
    free = tune_thresholds(proba, Y, ("a",), max_background_fpr=0.02)
    assert free["a"] > 0.75  # the ten rows are 6% of the background: raised above them
    mask = np.ones(n, dtype=bool)
    mask[100:110] = False  # not counted (e.g. not real articles)
    masked = tune_thresholds(proba, Y, ("a",), max_background_fpr=0.02, background_rows=mask)
    assert masked["a"] <= 0.7


@pytest.fixture(scope="module")
def tiny_model() -> TensionModel:
    examples = load_labelled_file(FIXTURES / "tiny_train.jsonl", DEFAULT_CATEGORIES, kind="team")
    model, _ = fit_model(examples, TrainConfig(seed=13, min_df=1), "test-rules")
    return model


def _with_rule(model: TensionModel, feature: str, category: str, floor: float) -> TensionModel:
    rules = {feature: {"category": category, "floor": floor, "support": 20, "positives": 19}}
    return TensionModel(model.pipeline, model.categories, model.thresholds, model.version, rules=rules)


TEXT = "North Korean soldiers are fighting alongside Russian troops in Kursk."


def test_a_rule_lifts_the_score_labels_and_names_itself_in_the_evidence(tiny_model: TensionModel) -> None:
    present = [
        n for n in extract_features(TEXT) if n in tiny_model.pipeline.named_steps["features"].vocabulary_
    ]
    feature = "x:nk_troops_abroad" if "x:nk_troops_abroad" in present else sorted(present)[0]
    category = "missile_nuclear"
    before = tiny_model.predict([TEXT])[0]
    assert before.scores[category] < 0.99
    ruled = _with_rule(tiny_model, feature, category, 0.99)
    after = ruled.predict([TEXT])[0]
    assert after.scores[category] == pytest.approx(0.99)
    assert category in after.labels
    assert after.evidence[category][0].startswith("rule: ")
    assert len(after.evidence[category]) <= 5
    assert ruled.predict_proba([TEXT])[0, list(ruled.categories).index(category)] == pytest.approx(0.99)
    # a text without the feature is scored as before
    other = "The team won the match after a late goal by the striker."
    assert ruled.predict([other])[0].scores == tiny_model.predict([other])[0].scores


def test_rules_survive_save_and_load_and_bad_rules_are_refused(
    tmp_path: Path, tiny_model: TensionModel
) -> None:
    feature = sorted(tiny_model.pipeline.named_steps["features"].vocabulary_)[0]
    ruled = _with_rule(tiny_model, feature, "dmz_incident", 0.8)
    path = tmp_path / "ruled.skops"
    save_model(ruled, path)
    loaded = load_model(path)
    assert loaded.rules == ruled.rules
    side = json.loads(sidecar_path(path).read_text())
    side["rules"] = {"x:not_a_feature": {"category": "dmz_incident", "floor": 0.8}}
    sidecar_path(path).write_text(json.dumps(side))
    with pytest.raises(ModelError, match="not a feature"):
        load_model(path)
    side["rules"] = ["x"]
    sidecar_path(path).write_text(json.dumps(side))
    with pytest.raises(ModelError, match="rules"):
        load_model(path)


def test_the_shipped_model_carries_a_measured_rule() -> None:
    model = load_model()
    rule = model.rules["x:nk_troops_abroad"]
    assert rule["category"] == "military_cooperation"
    assert rule["support"] >= MIN_RULE_SUPPORT
    assert rule["floor"] == pytest.approx((rule["positives"] + 1) / (rule["support"] + 2), abs=1e-4)
    pred = model.predict(["Thousands of North Korean soldiers now fight for Russia against Ukraine."])[0]
    assert "military_cooperation" in pred.labels
