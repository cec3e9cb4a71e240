"""Agreement between the gold labels and a second, blind labelling pass of the same items (a developer tool).

    .venv/bin/python scripts/gold_agreement.py models/gold_review/blind_pass_2026-11-29.jsonl

The review file holds ``{"id", "labels", optional "sure", optional "set"}`` lines (ids and labels only). The
second pass is scored against the gold as if it were a model: per category and language precision, recall
and F1 (F1 is symmetric in the two passes), macro-F1 over the categories with positives, and the share of
gold background items the second pass labels. Printed for all items and for each ``set`` (e.g. the
held-out split and a sample of the training side), then the ids where the two passes differ. The ceiling a
model can be expected to reach on the gold is about where two careful labellers agree.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.data import GOLD_DIR, default_data_dir, load_gold, load_pool
from models.errors import InputError
from models.evaluate import format_table, metrics_report
from models.labels import DEFAULT_CATEGORIES


@dataclass(frozen=True)
class Review:
    labels: frozenset[str]
    sure: bool = True
    set: str | None = None


def read_review(path: Path) -> dict[str, Review]:
    """The review lines by id; a line without an id or a list of labels, or a repeated id, is an error."""
    out: dict[str, Review] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        obj: Any = json.loads(line)
        if not isinstance(obj, dict) or "id" not in obj or not isinstance(obj.get("labels"), list):
            raise InputError("bad_review", f"{path}:{n}: expected {{'id': ..., 'labels': [...]}}")
        rid = str(obj["id"])
        if rid in out:
            raise InputError("bad_review", f"{path}:{n}: id {rid!r} appears twice")
        out[rid] = Review(
            frozenset(str(x) for x in obj["labels"]),
            bool(obj.get("sure", True)),
            str(obj["set"]) if obj.get("set") else None,
        )
    return out


def agreement(
    gold: dict[str, tuple[list[int], str]], review: dict[str, Review], categories: Sequence[str]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(report per set name, "all" first; ids where the passes differ) over the ids in both."""
    ids = sorted(i for i in review if i in gold)
    second = {i: [1 if c in review[i].labels else 0 for c in categories] for i in ids}
    names = ["all", *sorted({r.set for i, r in review.items() if i in gold and r.set})]
    reports: dict[str, dict[str, Any]] = {}
    for name in names:
        chosen = [i for i in ids if name == "all" or review[i].set == name]
        Y = np.asarray([gold[i][0] for i in chosen], dtype=np.int64).reshape(-1, len(categories))
        P = np.asarray([second[i] for i in chosen], dtype=np.int64).reshape(-1, len(categories))
        reports[name] = metrics_report(Y, P, [gold[i][1] for i in chosen], categories)
    return reports, [i for i in ids if second[i] != gold[i][0]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("review", type=Path, help="second-pass labels (JSON lines: id, labels)")
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--gold-dir", type=Path, default=GOLD_DIR)
    args = ap.parse_args(argv)
    cats = DEFAULT_CATEGORIES
    review = read_review(args.review)
    pool = load_pool(args.data_dir)
    gold = {ex.id: (ex.labels, ex.language) for ex in load_gold(pool, cats, args.gold_dir)}
    reports, differ = agreement(gold, review, cats)
    for name, report in reports.items():
        print(f"== {name} (second pass scored against the gold)")
        print(format_table(report, cats))
    for i in differ:
        first = [c for c, v in zip(cats, gold[i][0], strict=True) if v]
        again = [c for c in cats if c in review[i].labels]
        note = "" if review[i].sure else "  (second labeller not sure)"
        print(f"differ {i}: gold {first} second {again}{note}")
    compared = sum(1 for i in review if i in gold)
    print(f"{len(differ)} of {compared} items differ; {len(review) - compared} review ids not in the gold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
