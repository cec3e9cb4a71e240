"""Scoring: the model object the stream and the CLI call, its predictions and input validation."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from models.classifier import CalibratedMultiLabel
from models.errors import InputError, ModelError
from models.features import ConceptFeaturizer
from models.rules import RuleSet

__all__ = [
    "MAX_EVIDENCE",
    "MAX_TEXT_BYTES",
    "Prediction",
    "TensionModel",
    "compose_text",
    "pretty_feature",
    "validate_text",
]

#: Largest text accepted (UTF-8 bytes), the same limit as a Kafka message on the ``articles`` topic.
#: Larger input is an error (``InputError("too_large")``), never silently truncated.
MAX_TEXT_BYTES = 1024 * 1024
#: Evidence terms reported per predicted category.
MAX_EVIDENCE = 5
_TITLE_SEPARATOR = "\n\n"
_NON_TEXT = re.compile(r"[\x01-\x08\x0e-\x1f\ufffd]")


def compose_text(title: str | None, text: str | None) -> str:
    """The one place that joins a title and a body into the text the model scores.

    The title comes first (it is part of the lead), separated from the body by a blank line; a missing
    or blank part is left out.
    """
    parts = [p.strip() for p in (title, text) if p is not None and p.strip()]
    return _TITLE_SEPARATOR.join(parts)


def validate_text(text: object) -> str:
    """Return ``text`` if the model can score it, else raise :class:`InputError`.

    Reasons: ``not_text`` (not a ``str``, e.g. bytes), ``empty`` (nothing but whitespace),
    ``too_large`` (over :data:`MAX_TEXT_BYTES` UTF-8 bytes), ``binary`` (NUL bytes, lone surrogates or
    mostly control/replacement characters: not natural-language text).
    """
    if not isinstance(text, str):
        raise InputError("not_text", f"expected str, got {type(text).__name__}")
    if not text.strip():
        raise InputError("empty", "the text is empty")
    if len(text) > MAX_TEXT_BYTES // 4 and len(text.encode("utf-8", errors="replace")) > MAX_TEXT_BYTES:
        raise InputError("too_large", f"the text is over {MAX_TEXT_BYTES} bytes of UTF-8")
    if "\x00" in text:
        raise InputError("binary", "the text contains NUL bytes")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError("binary", "the text is not valid Unicode (lone surrogates)") from exc
    sample = text[:4096]
    bad = len(_NON_TEXT.findall(sample))
    if bad > max(8, len(sample) // 20):
        raise InputError("binary", "the text looks binary (control or replacement characters)")
    return text


def pretty_feature(name: str) -> str:
    """Readable evidence term for a feature name.

    ``c:balloon`` -> ``balloon``; ``p:balloon+border`` -> ``balloon+border`` (same sentence);
    ``w:border+cross`` -> ``border~cross`` (adjacent sentences); ``g:border_incident@korea>=3`` ->
    ``border_incident@korea x3`` (three concepts of the group close together);
    ``l:arms_transfer>=2`` -> ``lead: arms_transfer x2`` (in the title and first sentences);
    ``o:nkorea+soldier`` -> ``nkorea's soldier`` (an actor's soldiers or weapons, "North Korean troops");
    ``x:nk_troops_abroad`` -> ``nk_troops_abroad`` (an event frame; evidence of a label rule reads
    ``rule: nk_troops_abroad``);
    ``t:ballons`` -> ``"ballons"`` (a word).
    """
    kind, _, rest = name.partition(":")
    if kind == "w":
        return rest.replace("+", "~")
    if kind == "t":
        return '"' + rest + '"'
    if kind == "g":
        return rest.replace(">=", " x")
    if kind == "l":
        return "lead: " + rest.replace(">=", " x")
    if kind == "o":
        return rest.replace("+", "'s ")
    return rest


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one text.

    ``tension`` is the largest calibrated category probability (0 when there are no categories): the
    probability that the most likely tension event is in the text. It is comparable across articles and
    stays below the category thresholds' scale for background text.
    """

    scores: dict[str, float]
    labels: list[str]
    tension: float
    evidence: dict[str, list[str]] = field(default_factory=dict)


class TensionModel:
    """A fitted pipeline (``features`` -> ``classifier``) with its categories, thresholds, label rules
    (:mod:`models.rules`: ``{"x:<frame>": {"category", "floor", ...}}``) and metadata."""

    def __init__(
        self,
        pipeline: Pipeline,
        categories: Sequence[str],
        thresholds: Mapping[str, float],
        version: str,
        metadata: Mapping[str, Any] | None = None,
        rules: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.version: str = version
        self.categories: tuple[str, ...] = tuple(categories)
        self.thresholds: dict[str, float] = {c: float(thresholds[c]) for c in self.categories}
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.rules: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (rules or {}).items()}
        featurizer = pipeline.named_steps.get("features")
        classifier = pipeline.named_steps.get("classifier")
        if not isinstance(featurizer, ConceptFeaturizer) or not isinstance(classifier, CalibratedMultiLabel):
            raise ModelError(
                "<pipeline>",
                "expected steps 'features' (ConceptFeaturizer) and 'classifier' (CalibratedMultiLabel)",
            )
        if classifier.coef_.shape[0] != len(self.categories):
            raise ModelError(
                "<pipeline>",
                f"the classifier has {classifier.coef_.shape[0]} outputs but "
                f"{len(self.categories)} categories are declared",
            )
        self._featurizer = featurizer
        self._classifier = classifier
        try:
            self._rules = RuleSet(self.rules, featurizer.vocabulary_, self.categories)
        except ValueError as exc:
            raise ModelError("<pipeline>", str(exc)) from exc
        self._names = np.asarray([pretty_feature(n) for n in featurizer.feature_names_], dtype=object)
        self._thr = np.asarray([self.thresholds[c] for c in self.categories])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(categories))."""
        for t in texts:
            validate_text(t)
        X = self._featurizer.transform(texts)
        proba, _ = self._rules.apply(np.asarray(self._classifier.predict_proba(X)), X)
        return proba

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Score a batch of texts (each made with :func:`compose_text`).

        Raises :class:`InputError` (with the batch position in ``detail``) if any text is invalid; call
        :func:`validate_text` first to drop bad items one by one.
        """
        for i, t in enumerate(texts):
            try:
                validate_text(t)
            except InputError as exc:
                raise InputError(exc.reason, f"item {i}: {exc.detail}") from exc
        if not texts:
            return []
        X: sp.csr_matrix = self._featurizer.transform(texts)
        proba, raised = self._rules.apply(
            self._classifier.calibrate(self._classifier.decision_function(X)), X
        )
        coef = self._classifier.coef_
        cats = self.categories
        hit_rows = (proba >= self._thr).tolist()
        score_rows = np.round(proba, 6).tolist()
        tensions = np.round(proba.max(axis=1), 6).tolist() if proba.shape[1] else [0.0] * len(texts)
        indptr, indices, data = X.indptr, X.indices, X.data
        out: list[Prediction] = []
        for i, (hit_row, score_row) in enumerate(zip(hit_rows, score_rows, strict=True)):
            hits = [j for j, hit in enumerate(hit_row) if hit]
            evidence: dict[str, list[str]] = {}
            if hits:
                idx = indices[indptr[i] : indptr[i + 1]]
                vals = data[indptr[i] : indptr[i + 1]]
                for j in hits:
                    contrib = vals * coef[j, idx]
                    rule = raised.get((i, j))
                    order = np.argsort(-contrib)[: MAX_EVIDENCE - (rule is not None)]
                    terms = [str(self._names[idx[o]]) for o in order if contrib[o] > 0]
                    evidence[cats[j]] = ([f"rule: {pretty_feature(rule)}"] if rule else []) + terms
            out.append(
                Prediction(
                    scores=dict(zip(cats, score_row, strict=True)),
                    labels=[cats[j] for j in hits],
                    tension=tensions[i],
                    evidence=evidence,
                )
            )
        return out
