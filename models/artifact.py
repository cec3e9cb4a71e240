"""Model artifact: a skops file (the fitted pipeline) plus a JSON sidecar (everything else).

Loading never unpickles: skops reconstructs only the types listed in :data:`TRUSTED_TYPES` and refuses
a file that holds anything else.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

from sklearn.pipeline import Pipeline

from models.errors import ModelError
from models.scoring import TensionModel

__all__ = ["ARTIFACT_DIR", "DEFAULT_MODEL_PATH", "TRUSTED_TYPES", "load_model", "save_model", "sidecar_path"]

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_MODEL_PATH = ARTIFACT_DIR / "tension_model.skops"
SIDECAR_FORMAT = 1

#: Types (beyond skops' built-in trusted scikit-learn/numpy/scipy types) that the artifact may contain.
TRUSTED_TYPES: tuple[str, ...] = (
    "models.features.ConceptFeaturizer",
    "models.classifier.CalibratedMultiLabel",
    "sklearn.pipeline.Pipeline",
)
_REQUIRED = ("format", "version", "categories", "thresholds")


def sidecar_path(path: Path) -> Path:
    """The JSON sidecar next to a ``.skops`` file."""
    return path.with_suffix(".json")


def save_model(model: TensionModel, path: Path) -> None:
    """Write ``path`` (skops) and its JSON sidecar (version, categories, thresholds, rules, metadata)."""
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        sio.dump(model.pipeline, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    except Exception as exc:  # skops raises many types; report them as one
        raise ModelError(str(path), f"cannot write the model: {exc}") from exc
    sidecar: dict[str, Any] = {
        "format": SIDECAR_FORMAT,
        "version": model.version,
        "categories": list(model.categories),
        "thresholds": model.thresholds,
        "rules": model.rules,
        **{k: v for k, v in model.metadata.items() if k not in _REQUIRED and k != "rules"},
    }
    sidecar_path(path).write_text(json.dumps(sidecar, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def _read_sidecar(path: Path) -> dict[str, Any]:
    side = sidecar_path(path)
    if not side.is_file():
        raise ModelError(str(path), f"sidecar {side.name} is missing (it holds categories and thresholds)")
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(str(path), f"sidecar {side.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(str(path), f"sidecar {side.name} must hold a JSON object")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise ModelError(str(path), f"sidecar {side.name} lacks {', '.join(missing)}")
    cats = data["categories"]
    if (
        not isinstance(cats, list)
        or not cats
        or not all(isinstance(c, str) and c for c in cats)
        or len(set(cats)) != len(cats)
    ):
        raise ModelError(str(path), f"sidecar {side.name}: 'categories' must be a list of distinct names")
    thr = data["thresholds"]
    if not isinstance(thr, dict) or set(thr) != set(cats):
        raise ModelError(str(path), f"sidecar {side.name}: 'thresholds' must give one value per category")
    for c, v in thr.items():
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v) or not 0 <= v <= 1:
            raise ModelError(str(path), f"sidecar {side.name}: threshold for {c!r} must be in [0, 1]")
    rules = data.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(r, dict) for r in rules.values()):
        raise ModelError(str(path), f"sidecar {side.name}: 'rules' must map feature names to objects")
    if not isinstance(data["version"], str) or not data["version"]:
        raise ModelError(str(path), f"sidecar {side.name}: 'version' must be a non-empty string")
    return data


def load_model(path: Path | str | None = None) -> TensionModel:
    """Load a model saved by :func:`save_model` (default: the shipped artifact).

    Raises :class:`ModelError` when the file or its sidecar is missing or invalid, or when the file holds
    types outside :data:`TRUSTED_TYPES`.
    """
    import skops.io as sio

    p = Path(path) if path is not None else DEFAULT_MODEL_PATH
    if not p.is_file():
        raise ModelError(str(p), "model file not found (train one with `tension train`)")
    meta = _read_sidecar(p)
    try:
        untrusted = sio.get_untrusted_types(file=p)
    except Exception as exc:
        raise ModelError(str(p), f"not a readable skops file: {exc}") from exc
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelError(str(p), f"refusing untrusted types in the model file: {', '.join(unknown)}")
    try:
        pipeline = sio.load(p, trusted=[t for t in untrusted if t in TRUSTED_TYPES])
    except Exception as exc:
        raise ModelError(str(p), f"cannot load the model: {exc}") from exc
    if not isinstance(pipeline, Pipeline):
        raise ModelError(str(p), f"expected a scikit-learn Pipeline, found {type(pipeline).__name__}")
    extra = {k: v for k, v in meta.items() if k not in _REQUIRED and k != "rules"}
    try:
        return TensionModel(
            pipeline, meta["categories"], meta["thresholds"], meta["version"], extra, meta.get("rules")
        )
    except ModelError as exc:
        raise ModelError(str(p), exc.detail) from exc
