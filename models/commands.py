"""`tension train` and `tension evaluate`: registered on the CLI's subparsers by :func:`register`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.errors import TensionError

__all__ = ["register"]

_REPO = Path(__file__).resolve().parent.parent


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``train`` and ``evaluate`` subcommands."""
    from models.artifact import ARTIFACT_DIR
    from models.data import default_data_dir

    p = subparsers.add_parser("train", help="train the tension model (writes artifact, sidecar, model card)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help="training pool directory (default: ../shared/data next to the repository)",
    )
    p.add_argument("--out", type=Path, default=ARTIFACT_DIR, help="output directory (default: %(default)s)")
    p.add_argument("--seed", type=int, default=13, help="random seed (default: %(default)s)")
    p.add_argument(
        "--max-background-fpr",
        type=float,
        default=0.03,  # = TrainConfig.max_background_fpr (not imported here: keeps the CLI start fast)
        help="raise thresholds until at most this share of the gold background texts gets a label "
        "(out-of-fold; default: %(default)s; 1 = F1-optimal thresholds only)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)

    e = subparsers.add_parser("evaluate", help="evaluate a model on labelled JSON lines (report + plots)")
    e.add_argument(
        "--data",
        type=Path,
        required=True,
        help='JSON lines with {"id","title","text","labels", optional "language"}',
    )
    e.add_argument("--model", type=Path, default=None, help="model file (default: the shipped artifact)")
    e.add_argument("--out", type=Path, default=None, help="directory for report.json and PNG plots")
    e.add_argument(
        "--bootstrap",
        type=_rounds,
        default=1000,  # = models.evaluate.BOOTSTRAP_ROUNDS (not imported here: keeps the CLI start fast)
        help="resamples for the 90%% intervals of the F1s and background rates "
        "(default: %(default)s; 0: no intervals)",
    )
    e.set_defaults(func=_evaluate)


def _rounds(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of resamples, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"resamples cannot be negative, got {n}")
    return n


def _train(args: argparse.Namespace) -> int:
    from models.train import TrainConfig, train

    data_dir: Path = args.data_dir
    if not (data_dir / "train_pool").is_dir():
        print(
            f"error: training data not found at {data_dir} (expected {data_dir / 'train_pool'}/*.jsonl; "
            "pass --data-dir)",
            file=sys.stderr,
        )
        return 2
    try:
        config = TrainConfig(seed=args.seed, max_background_fpr=args.max_background_fpr)
        sidecar = train(data_dir, args.out, config, show_progress=not args.no_progress)
    except TensionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(sidecar.pop("_table"))
    print(f"model: {sidecar.pop('_path')}  version {sidecar['version']}")
    print(f"thresholds: {json.dumps(sidecar['thresholds'])}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from models.artifact import load_model
    from models.data import load_labelled_file
    from models.evaluate import format_table, metrics_report, write_plots

    if not args.data.is_file():
        print(f"error: {args.data} not found", file=sys.stderr)
        return 2
    try:
        model = load_model(args.model)
        items = load_labelled_file(args.data, model.categories)
        if not items:
            print(f"error: no labelled items in {args.data}", file=sys.stderr)
            return 2
        proba = model.predict_proba([ex.text for ex in items])
    except TensionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    cats = model.categories
    thr = np.asarray([model.thresholds[c] for c in cats])
    P = (proba >= thr).astype(np.int64)
    Y = np.asarray([ex.labels for ex in items], dtype=np.int64)
    report = metrics_report(Y, P, [ex.language for ex in items], cats, bootstrap=args.bootstrap)
    print(f"model {model.version} on {args.data} ({len(items)} items)")
    print(format_table(report, cats))
    if args.out is not None:
        out: Path = args.out
        out.mkdir(parents=True, exist_ok=True)
        plots = write_plots(Y, proba, P, cats, model.thresholds, out)
        (out / "report.json").write_text(
            json.dumps({"model_version": model.version, "data": str(args.data), **report}, indent=2) + "\n",
            encoding="utf-8",
        )
        print(f"report: {out / 'report.json'}; plots: {', '.join(str(p) for p in plots)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m models.commands train ...``) for use without the streams CLI."""
    parser = argparse.ArgumentParser(prog="tension")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
