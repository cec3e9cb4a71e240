"""Compare training recipes on figures less noisy than one held-out split (a developer tool).

For each split seed: the evaluation model of `tension train` (trained without the held-out gold) is scored
on the held-out gold (macro-F1 at its thresholds, background FPR, and the threshold-free mean average
precision), and on the training-side gold out of fold (mean average precision, and macro-F1 with each
fold scored at thresholds tuned without it). Prints one line per seed and the mean.

    .venv/bin/python scripts/model_compare.py --seeds 13 1 2
    .venv/bin/python scripts/model_compare.py --team-dir /tmp/other_team_texts --seeds 13 1 2
    .venv/bin/python scripts/model_compare.py --gold-fraction 0.5 --seeds 13 1 4   # a learning curve point

The held-out split depends on the seed (undated items and ties are ordered by it), so compare recipes on
the means over seeds, not on one split.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

from models import train as T
from models.data import TEAM_DIR, Example
from models.evaluate import metrics_report


def label_matrix(items: Sequence[Example]) -> np.ndarray:
    return np.asarray([ex.labels for ex in items], dtype=np.int64)


def mean_ap(items: Sequence[Example], proba: np.ndarray, language: str | None) -> float:
    """Mean over categories (with at least two positives) of the average precision."""
    idx = [i for i, ex in enumerate(items) if language is None or ex.language == language]
    Y = np.asarray([items[i].labels for i in idx])
    P = np.nan_to_num(proba[idx])
    values = [
        average_precision_score(Y[:, j] == 1, P[:, j]) for j in range(Y.shape[1]) if (Y[:, j] == 1).sum() >= 2
    ]
    return float(np.mean(values)) if values else float("nan")


def subsample(items: Sequence[Example], fraction: float, seed: int) -> list[Example]:
    """A seeded share of ``items`` by near-duplicate group (a group is kept or dropped whole): the
    training side of a learning curve. ``fraction`` 1 keeps everything."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if fraction == 1:
        return list(items)
    groups = sorted({ex.group for ex in items})
    order = np.random.default_rng(seed).permutation(len(groups))
    keep = {groups[i] for i in order[: max(1, round(fraction * len(groups)))]}
    return [ex for ex in items if ex.group in keep]


def run(
    data_dir: Path,
    team_dir: Path,
    config: T.TrainConfig,
    gold_fraction: float = 1.0,
    team_fraction: float = 1.0,
) -> dict[str, float]:
    np.random.seed(config.seed)
    random.seed(config.seed)
    gold_train, hold, team, weak = T.assemble(data_dir, config, team_dir=team_dir)
    gold_train = subsample(gold_train, gold_fraction, config.seed)
    team = subsample(team, team_fraction, config.seed)
    cats = config.categories
    made = T.synthetic_examples(gold_train + team, weak, cats, config.seed)
    model, oof = T.fit_model(gold_train + team + weak + made, config, "compare")
    proba = model.predict_proba([ex.text for ex in hold])
    thr = np.asarray([model.thresholds[c] for c in cats])
    held = metrics_report(
        label_matrix(hold), (proba >= thr).astype(np.int64), [ex.language for ex in hold], cats
    )
    n = len(gold_train)
    nested_pred = T.cross_fitted_labels(
        oof, label_matrix(gold_train + team), [T.cv_bucket(ex.group) for ex in gold_train], config
    )
    nested = metrics_report(label_matrix(gold_train), nested_pred, [ex.language for ex in gold_train], cats)
    return {
        "held_macro": held["overall"]["macro_f1"],
        "held_de": held["by_language"].get("de", {}).get("macro_f1", float("nan")),
        "held_fpr": held["overall"]["background_fpr"],
        "held_map": mean_ap(hold, proba, None),
        "held_map_de": mean_ap(hold, proba, "de"),
        "oof_map": mean_ap(gold_train, oof[:n], None),
        "oof_map_de": mean_ap(gold_train, oof[:n], "de"),
        "nested_macro": nested["overall"]["macro_f1"],
        "nested_de": nested["by_language"].get("de", {}).get("macro_f1", float("nan")),
        "nested_fpr": nested["overall"]["background_fpr"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument(
        "--team-dir", type=Path, default=TEAM_DIR, help="team-written texts (default: %(default)s)"
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[13, 1, 2])
    ap.add_argument("--max-background-fpr", type=float, default=T.TrainConfig.max_background_fpr)
    ap.add_argument(
        "--gold-fraction",
        type=float,
        default=1.0,
        help="train on this share of the training-side gold (by near-duplicate group; a learning curve)",
    )
    ap.add_argument("--team-fraction", type=float, default=1.0, help="the same for the team-written texts")
    args = ap.parse_args(argv)
    for name in ("gold_fraction", "team_fraction"):
        if not 0 < getattr(args, name) <= 1:
            ap.error(f"--{name.replace('_', '-')} must be in (0, 1]")
    rows = []
    keys: list[str] = []
    for seed in args.seeds:
        config = T.TrainConfig(seed=seed, max_background_fpr=args.max_background_fpr)
        row = run(args.data_dir, args.team_dir, config, args.gold_fraction, args.team_fraction)
        keys = list(row)
        rows.append(row)
        print(f"seed {seed:>3}  " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    print("mean      " + "  ".join(f"{k} {np.nanmean([r[k] for r in rows]):.3f}" for k in keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
