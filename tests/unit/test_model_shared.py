"""Checks that need ../shared (the reference article): skipped where it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.artifact import load_model

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "article-de-putin-kim.txt"


@pytest.mark.shared
@pytest.mark.skipif(not SEED.is_file(), reason="../shared is not available")
def test_reference_article_gets_its_three_labels() -> None:
    model = load_model()
    pred = model.predict([SEED.read_text(encoding="utf-8")])[0]
    assert {"weapons_transfer", "dmz_incident", "military_cooperation"} <= set(pred.labels)
    for cat in pred.labels:
        assert pred.evidence[cat]
