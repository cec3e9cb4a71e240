"""The shipped artifact: loads fast, is small, labels the held-out paraphrases; load errors are clear."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from models.artifact import DEFAULT_MODEL_PATH, TRUSTED_TYPES, load_model, sidecar_path
from models.data import load_labelled_file
from models.errors import ModelError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def shipped():
    return load_model()


def test_shipped_artifact_loads_fast_and_is_small() -> None:
    load_model()  # warm imports: the budget is for reading the artifact
    start = time.perf_counter()
    model = load_model()
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0
    assert DEFAULT_MODEL_PATH.stat().st_size < 20 * 1024 * 1024
    side = json.loads(sidecar_path(DEFAULT_MODEL_PATH).read_text())
    for key in (
        "version",
        "categories",
        "thresholds",
        "training_data_hash",
        "library_versions",
        "evaluation",
    ):
        assert key in side
    assert list(model.categories) == side["categories"]
    assert model.version == side["version"]


def test_paraphrases_are_labelled(shipped) -> None:
    items = load_labelled_file(FIXTURES / "paraphrases.jsonl", shipped.categories)
    assert len(items) >= 20
    preds = shipped.predict([ex.text for ex in items])
    exact = sum(p.labels == ex.label_names(shipped.categories) for ex, p in zip(items, preds, strict=True))
    decisions = sum(
        (c in p.labels) == (c in ex.label_names(shipped.categories))
        for ex, p in zip(items, preds, strict=True)
        for c in shipped.categories
    )
    assert exact / len(items) >= 0.8
    assert decisions / (len(items) * len(shipped.categories)) >= 0.93


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nope.skops")


def _copy_shipped(tmp_path: Path) -> Path:
    dst = tmp_path / "m.skops"
    shutil.copy(DEFAULT_MODEL_PATH, dst)
    shutil.copy(sidecar_path(DEFAULT_MODEL_PATH), sidecar_path(dst))
    return dst


def test_missing_or_bad_sidecar(tmp_path: Path) -> None:
    path = _copy_shipped(tmp_path)
    sidecar_path(path).write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model(path)
    sidecar_path(path).write_text(json.dumps({"format": 1, "version": "x", "categories": ["a"]}))
    with pytest.raises(ModelError, match="thresholds"):
        load_model(path)
    sidecar_path(path).unlink()
    with pytest.raises(ModelError, match="sidecar"):
        load_model(path)


def test_category_count_mismatch(tmp_path: Path) -> None:
    path = _copy_shipped(tmp_path)
    side = json.loads(sidecar_path(path).read_text())
    side["categories"] = side["categories"][:-1]
    side["thresholds"] = {c: 0.5 for c in side["categories"]}
    sidecar_path(path).write_text(json.dumps(side))
    with pytest.raises(ModelError):
        load_model(path)


class Untrusted:
    """A type no artifact may hold."""

    def __init__(self) -> None:
        self.value = 1


def test_untrusted_types_are_refused(tmp_path: Path) -> None:
    import skops.io as sio

    path = tmp_path / "evil.skops"
    sio.dump({"payload": Untrusted()}, path)
    shutil.copy(sidecar_path(DEFAULT_MODEL_PATH), sidecar_path(path))
    with pytest.raises(ModelError, match="untrusted"):
        load_model(path)
    assert "models.features.ConceptFeaturizer" in TRUSTED_TYPES


def test_not_a_skops_file(tmp_path: Path) -> None:
    path = _copy_shipped(tmp_path)
    path.write_bytes(b"garbage")
    with pytest.raises(ModelError):
        load_model(path)
