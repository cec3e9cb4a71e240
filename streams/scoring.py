"""Scoring articles into the DESIGN's scored-record format (plain functions: used by the worker and by
``tension score``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from models.actors import Actors, Gazetteer

from models.errors import InputError
from streams.records import Article


class PredictionLike(Protocol):
    @property
    def scores(self) -> dict[str, float]: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def tension(self) -> float: ...
    @property
    def evidence(self) -> dict[str, list[str]]: ...


class Classifier(Protocol):
    """What the stream needs from the tension model (``models.artifact.load_model`` returns one)."""

    @property
    def version(self) -> str: ...
    @property
    def categories(self) -> tuple[str, ...]: ...
    def predict(self, texts: Sequence[str]) -> Sequence[PredictionLike]: ...


@dataclass(frozen=True)
class Scored:
    """The outcome for one article of a batch: a record, or the error that stopped it."""

    article: Article
    record: dict[str, Any] | None
    error: InputError | None


class ArticleScorer:
    """Language, categories, evidence and actors for batches of validated articles."""

    def __init__(
        self,
        model: Classifier,
        gazetteer: Gazetteer,
        detect_language: Callable[[str], str],
        compose_text: Callable[[str | None, str | None], str],
    ) -> None:
        self.model = model
        self.gazetteer = gazetteer
        self._detect_language = detect_language
        self._compose_text = compose_text

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def categories(self) -> tuple[str, ...]:
        return self.model.categories

    def _predict(self, texts: list[str]) -> list[PredictionLike | InputError]:
        try:
            return list(self.model.predict(texts))
        except InputError:
            pass
        # One bad text must not sink the batch: retry one by one and keep the error per article.
        results: list[PredictionLike | InputError] = []
        for text in texts:
            try:
                results.append(self.model.predict([text])[0])
            except InputError as exc:
                results.append(exc)
        return results

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        if not articles:
            return []
        texts = [self._compose_text(a.title, a.text) for a in articles]
        started = time.perf_counter()
        predictions = self._predict(texts)
        model_seconds = (time.perf_counter() - started) / len(articles)
        out: list[Scored] = []
        for article, text, prediction in zip(articles, texts, predictions, strict=True):
            if isinstance(prediction, InputError):
                out.append(Scored(article, None, prediction))
                continue
            actors = self.gazetteer.extract(text)
            language = article.language or self._detect_language(text)
            out.append(
                Scored(article, self.record(article, prediction, actors, language, model_seconds), None)
            )
        return out

    def record(
        self,
        article: Article,
        prediction: PredictionLike,
        actors: Actors,
        language: str,
        model_seconds: float,
    ) -> dict[str, Any]:
        return {
            "id": article.id,
            "labels": list(prediction.labels),
            "scores": {k: round(float(v), 6) for k, v in prediction.scores.items()},
            "tension": round(float(prediction.tension), 6),
            "language": language,
            "actors": list(actors.states),
            "dyads": list(actors.dyads),
            "regions": list(actors.regions),
            "evidence": {k: list(v) for k, v in prediction.evidence.items()},
            "model_version": self.model.version,
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "published_at": article.published_at,
            "timings": {"model_seconds": round(model_seconds, 6)},
        }


def load_scorer(model_path: Any = None) -> ArticleScorer:
    """Load the model artifact and the gazetteer (slow: call once at start-up)."""
    from models.artifact import load_model
    from models.scoring import compose_text

    from models.language import detect_language

    return ArticleScorer(load_model(model_path), Gazetteer.load(), detect_language, compose_text)
