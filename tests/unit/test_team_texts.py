"""What the repository holds of training data: our own texts only, and labels without texts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.data import _read_jsonl, load_pool

REPO = Path(__file__).resolve().parents[2]
TEAM_FILES = sorted((REPO / "models" / "data").glob("team*/*.jsonl")) + sorted(
    (REPO / "tests" / "fixtures").glob("*.jsonl")
)
RUN = 10
_WORD = re.compile(r"\w+")


def _runs(text: str) -> Iterator[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    for i in range(len(words) - RUN + 1):
        yield tuple(words[i : i + RUN])


@pytest.mark.shared
def test_team_written_texts_share_no_ten_word_run_with_the_pool(shared_dir: Path) -> None:
    ours: dict[int, str] = {}
    for path in TEAM_FILES:
        for rec in _read_jsonl(path):
            if "text" in rec:
                for run in _runs(f"{rec.get('title') or ''} {rec['text']}"):
                    ours[hash(run)] = rec["id"]
    assert len(ours) > 100_000  # the team's texts were read
    pool = load_pool(shared_dir / "data")
    assert len(pool) > 20_000  # every pool file was read
    shared: dict[str, str] = {}
    for rec in pool.values():
        for run in _runs(f"{rec.get('title') or ''} {rec.get('text') or ''}"):
            owner = ours.get(hash(run))
            if owner is not None:
                shared[owner] = " ".join(run)
    assert not shared, f"team texts sharing a {RUN}-word run with the pool: {sorted(shared.items())[:5]}"


def test_gold_and_review_files_hold_ids_and_labels_only() -> None:
    files = sorted((REPO / "models" / "gold").glob("*.jsonl")) + sorted(
        (REPO / "models" / "gold_review").glob("*.jsonl")
    )
    assert files
    for path in files:
        for rec in _read_jsonl(path):
            assert set(rec) <= {"id", "labels", "sure", "set"}, f"{path.name}: {sorted(rec)}"
            assert isinstance(rec["labels"], list)
