"""Evaluation: per-category precision/recall/F1 per language, macro-F1, background false-positive rate,
precision-recall curves and confusion matrices (PNG), and the model card."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["format_table", "metrics_report", "write_model_card", "write_plots"]


def _prf(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    tp = int(np.sum((y == 1) & (p == 1)))
    fp = int(np.sum((y == 0) & (p == 1)))
    fn = int(np.sum((y == 1) & (p == 0)))
    prec = tp / (tp + fp) if tp + fp else (1.0 if tp + fn == 0 else 0.0)
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {
        "precision": round(prec, 4),
        "recall": round(rec, 4),
        "f1": round(f1, 4),
        "support": int(tp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _block(Y: np.ndarray, P: np.ndarray, categories: Sequence[str]) -> dict[str, Any]:
    per = {c: _prf(Y[:, j], P[:, j]) for j, c in enumerate(categories)}
    scored = [per[c]["f1"] for c in categories if per[c]["support"] > 0]
    background = Y.sum(axis=1) == 0
    flagged = P.sum(axis=1) > 0
    n_bg = int(background.sum())
    exact = float(np.mean(np.all(Y == P, axis=1))) if len(Y) else 0.0
    return {
        "n": len(Y),
        "macro_f1": round(float(np.mean(scored)), 4) if scored else 0.0,
        "micro_f1": _prf(Y.ravel(), P.ravel())["f1"],
        "background_n": n_bg,
        "background_fpr": round(float(np.sum(background & flagged) / n_bg), 4) if n_bg else 0.0,
        "exact_match": round(exact, 4),
        "per_category": per,
    }


def metrics_report(
    Y: np.ndarray, P: np.ndarray, languages: Sequence[str], categories: Sequence[str]
) -> dict[str, Any]:
    """All figures for true labels ``Y`` and predicted labels ``P`` (both (n, k) 0/1 matrices)."""
    Y = np.asarray(Y, dtype=np.int64)
    P = np.asarray(P, dtype=np.int64)
    langs = np.asarray(list(languages))
    report: dict[str, Any] = {"overall": _block(Y, P, categories), "by_language": {}}
    for lang in sorted(set(langs.tolist())):
        mask = langs == lang
        report["by_language"][lang] = _block(Y[mask], P[mask], categories)
    return report


def format_table(report: dict[str, Any], categories: Sequence[str]) -> str:
    """A plain-text table of the report (overall, then per language)."""
    lines: list[str] = []
    blocks = [("all", report["overall"]), *sorted(report["by_language"].items())]
    head = f"{'slice':<6} {'category':<22} {'prec':>6} {'rec':>6} {'f1':>6} {'support':>8}"
    lines.append(head)
    lines.append("-" * len(head))
    for name, block in blocks:
        for c in categories:
            m = block["per_category"][c]
            lines.append(
                f"{name:<6} {c:<22} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                f"{m['support']:>8d}"
            )
        lines.append(f"{name:<6} {'macro-F1':<22} {'':>6} {'':>6} {block['macro_f1']:>6.3f} {block['n']:>8d}")
        lines.append(
            f"{name:<6} {'background FPR':<22} {'':>6} {'':>6} {block['background_fpr']:>6.3f} "
            f"{block['background_n']:>8d}"
        )
        lines.append("")
    return "\n".join(lines)


def write_plots(
    Y: np.ndarray,
    proba: np.ndarray,
    P: np.ndarray,
    categories: Sequence[str],
    thresholds: dict[str, float],
    out_dir: Path,
    prefix: str = "",
) -> list[Path]:
    """Precision-recall curves (one PNG) and per-category confusion matrices (one PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    fig, ax = plt.subplots(figsize=(6, 5))
    for j, c in enumerate(categories):
        if Y[:, j].sum() == 0:
            continue
        prec, rec, thr = precision_recall_curve(Y[:, j], proba[:, j])
        ax.plot(rec, prec, label=c)
        k = int(np.searchsorted(thr, thresholds[c]))
        if k < len(thr):
            ax.scatter([rec[k]], [prec[k]], s=25)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title("Precision-recall on held-out gold (dots: thresholds)")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    p = out_dir / f"{prefix}pr_curves.png"
    fig.savefig(p, dpi=80)
    plt.close(fig)
    paths.append(p)

    k = len(categories)
    fig, axes = plt.subplots(1, k, figsize=(2.6 * k, 2.8))
    axes_list = np.atleast_1d(axes).ravel().tolist()
    for j, c in enumerate(categories):
        ax = axes_list[j]
        cm = np.array([[np.sum((Y[:, j] == t) & (P[:, j] == q)) for q in (0, 1)] for t in (0, 1)])
        ax.imshow(cm, cmap="Blues")
        for t in (0, 1):
            for q in (0, 1):
                ax.text(q, t, str(cm[t, q]), ha="center", va="center", fontsize=10)
        ax.set_xticks([0, 1], ["pred 0", "pred 1"], fontsize=7)
        ax.set_yticks([0, 1], ["true 0", "true 1"], fontsize=7)
        ax.set_title(c, fontsize=8)
    fig.tight_layout()
    p = out_dir / f"{prefix}confusion.png"
    fig.savefig(p, dpi=80)
    plt.close(fig)
    paths.append(p)
    return paths


def write_model_card(path: Path, sidecar: dict[str, Any], table: str, plots: Sequence[str]) -> None:
    """A short markdown model card from the sidecar figures."""
    ev = sidecar.get("evaluation", {})
    cats = sidecar["categories"]
    lines = [
        f"# Tension model {sidecar['version']}",
        "",
        "Multi-label classifier of news texts (English, German) into tension categories "
        f"({', '.join(cats)}); an item with none is background. Labelling rules: `LABELS.md` "
        "(shared). Retrain with `tension train`; evaluate any labelled JSON lines with `tension evaluate`.",
        "",
        "## Model",
        "- Features: bilingual concept lexicon (`models/lexicon.py`, EN+DE stems and German compound parts "
        "mapped to shared concept tokens); counts of concepts, of concept pairs in one sentence and in "
        "adjacent sentences, and lead concepts (`models/features.py`). No word, source or length features.",
        "- Classifier: one L2 logistic regression per category, Platt-calibrated on out-of-fold scores of "
        "hand-labelled rows; per-category thresholds maximise F1 on those out-of-fold probabilities.",
        "- `tension` = the largest calibrated category probability.",
        "- Thresholds: " + ", ".join(f"{c} {sidecar['thresholds'][c]:.2f}" for c in cats),
        "",
        "## Data",
    ]
    for k, v in sidecar.get("training_data", {}).items():
        lines.append(f"- {k}: {v}")
    lines += [
        "",
        "## Evaluation",
        ev.get("protocol", ""),
        "",
        "```",
        table.rstrip(),
        "```",
        "",
    ]
    for extra_key in ("seed_article", "paraphrases"):
        if extra_key in ev:
            lines.append(f"- {extra_key}: {ev[extra_key]}")
    lines += ["", "## Plots", ""]
    lines += [f"![{Path(p).stem}]({Path(p).name})" for p in plots]
    lines += [
        "",
        "## Limits",
        "- Concept features cannot see what the lexicon does not list: new weapon names, places or "
        "phrasings need lexicon entries (and a retrain).",
        "- Passing mentions in long articles are the main source of false alarms; the gold set is small, "
        "so per-language figures have wide error bars.",
        "- Korean and other languages get features only through names and numbers: predictions there are "
        "unreliable.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
