"""Text features: the one function that defines them, and the transformer that vectorises them.

Features are language-neutral *concept* tokens (see :mod:`models.lexicon`) rather than words, so English
training text teaches the German side and the source's style (datelines, bylines, wording, length) gives
the model little to latch on to. All of them are position-insensitive:

* ``c:<concept>``        1 if the concept is mentioned anywhere (presence: long texts do not pile up counts)
* ``p:<a>+<b>``          log(1 + number of sentences that mention both concepts)  (same-sentence evidence:
                         ``p:balloon+border`` is what separates a DMZ incident from a passing mention)
* ``w:<a>+<b>``          an actor/place in one sentence, an event concept in the next (log count)
* ``g:<group>>=k``       some window of three sentences holds at least k distinct concepts of an evidence
                         group (``g:<group>@korea>=k``: and names a Korea): dense local evidence marks an
                         event told in the text, wherever it is in a long article

German compounds are matched by their parts (``*waffe*`` + ``*liefer*`` in ``Waffenlieferungen``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from models.lexicon import CONCEPTS, EXCLUDE, GROUP_ANCHORS, GROUPS, LEXICON_VERSION

__all__ = [
    "FEATURES_VERSION",
    "ConceptFeaturizer",
    "concepts_of_token",
    "extract_features",
    "fold",
    "strip_boilerplate",
]

FEATURES_VERSION = f"concepts-2/{LEXICON_VERSION}"

_FOLD_TABLE = str.maketrans(
    {
        "ä": "a",
        "ö": "o",
        "ü": "u",
        "ß": "ss",
        "à": "a",
        "á": "a",
        "â": "a",
        "ã": "a",
        "å": "a",
        "é": "e",
        "è": "e",
        "ê": "e",
        "ë": "e",
        "í": "i",
        "ì": "i",
        "î": "i",
        "ï": "i",
        "ó": "o",
        "ò": "o",
        "ô": "o",
        "õ": "o",
        "ú": "u",
        "ù": "u",
        "û": "u",
        "ñ": "n",
        "ç": "c",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ŏ": "o",
        "ŭ": "u",
    }
)

# Abbreviations whose case matters, rewritten before lower-casing.
_CASED = re.compile(r"\bU\.\s?S\.(?:\s?A\.)?|\b(?:USA?|UNO?|EU)\b")
_CASED_MAP = {"EU": " european union ", "UN": " un ", "UNO": " un "}
# Datelines and bylines near the start: "SEOUL, June 19 (Yonhap) -- ", "Pjöngjang –", "(CNN) — ",
# "Berlin (dpa) - ", "By Jane Doe, CNN", "Von Max Muster".
_DATELINE = re.compile(
    r"^[ \t]*(?:\(\w{2,12}\)|[A-ZÄÖÜ][\wÄÖÜäöüß.'’]*(?:[ ][A-ZÄÖÜ][\wÄÖÜäöüß.'’]*){0,2}"
    r"(?:,[ ][\w. ]{1,25})?(?:[ ]?\([\w./ ]{2,20}\))?)[ \t]*(?:--|–|—|-(?=[ ]))[ \t]*",
    re.MULTILINE,
)
_BYLINE = re.compile(r"^[ \t]*(?:By|Von|From|Autor(?:in)?:?)[ ][^\n]{0,80}$", re.MULTILINE)
#: Region at the start of a text searched for datelines and bylines.
_HEAD_CHARS = 600
# One pass: word tokens and sentence ends.
_TOKEN_OR_STOP = re.compile(r"\w+|[.!?;:\n\u3002]")
_STOPS = frozenset(".!?;:\n\u3002")
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_LOG1P = [math.log1p(n) for n in range(64)]

#: Concepts that are kept as counts but never paired (too generic to mean anything in a pair).
UNPAIRED: frozenset[str] = frozenset(
    {"report", "state", "sport", "economy", "entertainment", "weather", "domestic", "security"}
)
#: Actors and places: window pairs join an anchor in one sentence with an event concept in the next.
ANCHORS: frozenset[str] = frozenset(
    {
        "nkorea",
        "skorea",
        "korea",
        "russia",
        "ukraine",
        "usa",
        "china",
        "japan",
        "iran",
        "mideast",
        "west",
        "germany",
        "dmz",
        "border",
        "nato",
        "israel",
        "country",
        "sea_border",
        "island",
    }
)


def strip_boilerplate(text: str) -> str:
    """Remove datelines and bylines (source style, not content) from the start of a text."""
    head, tail = text[:_HEAD_CHARS], text[_HEAD_CHARS:]
    head = _DATELINE.sub("", _BYLINE.sub(" ", head))
    return head + tail


def _cased_repl(match: re.Match[str]) -> str:
    return _CASED_MAP.get(match.group(0), " usa ")


def fold(text: str) -> str:
    """Lower-case and fold accents/umlauts so ``Schüsse`` and ``Schuesse`` meet at ``schusse``."""
    return _CASED.sub(_cased_repl, text).lower().translate(_FOLD_TABLE)


def _fold_token(token: str) -> str:
    if token.isascii():
        return token
    return token.translate(_FOLD_TABLE)


def _build_tables() -> tuple[
    dict[str, tuple[str, ...]],
    list[tuple[str, str]],
    list[tuple[str, str]],
    dict[tuple[str, ...], tuple[str, ...]],
    frozenset[str],
]:
    exact: dict[str, list[str]] = {}
    prefix: list[tuple[str, str]] = []
    contains: list[tuple[str, str]] = []
    phrases: dict[tuple[str, ...], list[str]] = {}
    for concept, patterns in CONCEPTS.items():
        for raw in patterns:
            pat = raw.strip()
            if " " in pat:
                key = tuple(_ASCII_TOKEN.findall(fold(pat.strip("*"))))
                phrases.setdefault(key, []).append(concept)
            elif pat.startswith("*") and pat.endswith("*"):
                contains.append((pat.strip("*"), concept))
            elif pat.endswith("*"):
                prefix.append((pat[:-1], concept))
            else:
                exact.setdefault(pat, []).append(concept)
    firsts = frozenset(k[0] for k in phrases)
    return (
        {k: tuple(dict.fromkeys(v)) for k, v in exact.items()},
        prefix,
        contains,
        {k: tuple(dict.fromkeys(v)) for k, v in phrases.items()},
        firsts,
    )


_EXACT, _PREFIX, _CONTAINS, _PHRASES, _PHRASE_FIRSTS = _build_tables()


def _index_tables() -> tuple[dict[int, dict[str, list[str]]], dict[str, list[tuple[str, str]]]]:
    by_length: dict[int, dict[str, list[str]]] = {}
    for stem, concept in _PREFIX:
        by_length.setdefault(len(stem), {}).setdefault(stem, []).append(concept)
    by_trigram: dict[str, list[tuple[str, str]]] = {}
    for part, concept in _CONTAINS:
        by_trigram.setdefault(part[:3], []).append((part, concept))
    return by_length, by_trigram


_PREFIX_BY_LENGTH, _CONTAINS_BY_TRIGRAM = _index_tables()


@lru_cache(maxsize=262_144)
def concepts_of_token(token: str) -> tuple[str, ...]:
    """Concepts of one lower-cased token (exact, prefix and compound-part matches, minus vetoes).

    Tokens are folded here (``schüsse`` -> ``schusse``); German compounds are found by their parts:
    ``waffenlieferungen`` -> ``deliver``, ``weapon``, ``arms_deal``.
    """
    token = _fold_token(token)
    found: dict[str, None] = dict.fromkeys(_EXACT.get(token, ()))
    n = len(token)
    if n >= 3:
        for length, stems in _PREFIX_BY_LENGTH.items():
            if length <= n:
                for concept in stems.get(token[:length], ()):
                    if concept not in found and not _vetoed(token, concept):
                        found[concept] = None
        trigrams = _CONTAINS_BY_TRIGRAM
        for i in range(n - 2):
            for part, concept in trigrams.get(token[i : i + 3], ()):
                if concept not in found and token.startswith(part, i) and not _vetoed(token, concept):
                    found[concept] = None
    return tuple(found)


def _vetoed(token: str, concept: str) -> bool:
    return any(v in token for v in EXCLUDE.get(concept, ()))


def _phrase_index() -> dict[str, list[tuple[list[str], tuple[str, ...]]]]:
    index: dict[str, list[tuple[list[str], tuple[str, ...]]]] = {}
    for key, concepts in _PHRASES.items():
        index.setdefault(key[0], []).append((list(key[1:]), concepts))
    return index


_PHRASE_INDEX = _phrase_index()
_SENTENCE_SPLIT = re.compile(r"[.!?;:\n\u3002]+")
_WORDS = re.compile(r"\w+")
# Token caches shared by all calls: every distinct token is classified once (tokens -> concepts).
_KNOWN: set[str] = set()
_RELEVANT: dict[str, tuple[str, ...]] = {}
_CACHE_LIMIT = 500_000


def _learn(tokens: set[str]) -> None:
    if len(_KNOWN) > _CACHE_LIMIT:
        _KNOWN.clear()
        _RELEVANT.clear()
    for tok in tokens:
        hit = concepts_of_token(tok)
        if hit:
            _RELEVANT[tok] = hit
    _KNOWN.update(tokens)


def _phrases_in(words: list[str], firsts: set[str]) -> set[str]:
    found: set[str] = set()
    for i, w in enumerate(words):
        if w in firsts:
            for rest, concepts in _PHRASE_INDEX[w]:
                if words[i + 1 : i + 1 + len(rest)] == rest:
                    found.update(concepts)
    return found


def sentence_concepts(text: str) -> list[set[str]]:
    """Concept sets of the sentences of ``text``, in order (empty sets for sentences without concepts)."""
    lowered = _CASED.sub(_cased_repl, strip_boilerplate(text)).lower()
    out: list[set[str]] = []
    relevant = _RELEVANT
    for chunk in _SENTENCE_SPLIT.split(lowered):
        words = _WORDS.findall(chunk)
        if not words:
            continue
        toks = set(words)
        unknown = toks - _KNOWN
        if unknown:
            _learn(unknown)
        current: set[str] = set()
        for tok in toks & relevant.keys():
            current.update(relevant[tok])
        firsts = toks & _PHRASE_INDEX.keys()
        if firsts:
            current |= _phrases_in(words, firsts)
        out.append(current)
    return out


_PAIR_CACHE: dict[frozenset[str], tuple[str, ...]] = {}


def _pair_keys(paired: frozenset[str]) -> tuple[str, ...]:
    keys = _PAIR_CACHE.get(paired)
    if keys is None:
        keys = tuple(a + "+" + b for a, b in combinations(sorted(paired), 2))
        if len(_PAIR_CACHE) > 100_000:
            _PAIR_CACHE.clear()
        _PAIR_CACHE[paired] = keys
    return keys


_GROUP_SETS = {g: frozenset(c) for g, c in GROUPS.items()}
_GROUP_ANCHOR_SETS = {a: frozenset(c) for a, c in GROUP_ANCHORS.items()}
_ALL_GROUP_CONCEPTS = frozenset().union(*_GROUP_SETS.values())
#: Sentences per window for the evidence-group features.
GROUP_WINDOW = 3
#: Cut-offs of the evidence-group features: ``g:<group>>=k`` for each k.
GROUP_LEVELS = (1, 2, 3, 4, 5, 6)


def _group_features(sentences: list[set[str]], feats: dict[str, float]) -> None:
    """``g:<group>>=k``: some window of GROUP_WINDOW sentences holds >= k distinct concepts of the group
    (``g:<group>@<anchor>>=k``: the same window also names the anchor)."""
    best: dict[str, int] = {}
    n = len(sentences)
    relevant = [s & _ALL_GROUP_CONCEPTS for s in sentences]
    for start in range(max(1, n - GROUP_WINDOW + 1)):
        span = relevant[start : start + GROUP_WINDOW]
        window: set[str] = set().union(*span) if span else set()
        if not window:
            continue
        anchors = [
            a
            for a, members in _GROUP_ANCHOR_SETS.items()
            if any(members & sentences[i] for i in range(start, min(n, start + GROUP_WINDOW)))
        ]
        for group, members in _GROUP_SETS.items():
            k = len(window & members)
            if k:
                if k > best.get(group, 0):
                    best[group] = k
                for a in anchors:
                    key = group + "@" + a
                    if k > best.get(key, 0):
                        best[key] = k
    for key, k in best.items():
        for level in GROUP_LEVELS:
            if k >= level:
                feats[f"g:{key}>={level}"] = 1.0


def extract_features(text: str) -> dict[str, float]:
    """THE feature function: a text (title and body joined by ``compose_text``) -> named feature values.

    Position-insensitive presence of concepts, counts of concept pairs in one sentence or in two
    adjacent sentences, and lead concepts; see the module docstring.
    """
    single: set[str] = set()
    pairs: list[str] = []
    windows: list[str] = []
    feats: dict[str, float] = {}
    unpaired = UNPAIRED
    anchors = ANCHORS
    previous: frozenset[str] = frozenset()
    sentences = sentence_concepts(text)
    for current in sentences:
        if not current:
            previous = frozenset()
            continue
        single |= current
        paired = frozenset(current - unpaired)
        pairs.extend(_pair_keys(paired))
        if previous and paired:
            old = previous - paired
            new = paired - previous
            if old and new:
                for a in old:
                    a_anchor = a in anchors
                    for b in new:
                        if a_anchor != (b in anchors):
                            windows.append(a + "+" + b if a < b else b + "+" + a)
        previous = paired
    _group_features(sentences, feats)
    # single concepts: presence only, so that long texts do not pile up generic evidence;
    # pairs: log counts, a subject told in several sentences weighs more than a passing mention
    for key in single:
        feats["c:" + key] = 1.0
    log1p = _LOG1P
    for prefix, keys in (("p:", pairs), ("w:", windows)):
        for key, n in Counter(keys).items():
            feats[prefix + key] = log1p[n] if n < len(log1p) else math.log1p(n)
    return feats


class ConceptFeaturizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Vectorise texts with :func:`extract_features`.

    ``fit`` learns the vocabulary (features seen in at least ``min_df`` training texts);
    ``transform`` returns a sparse matrix with one row per text.
    """

    def __init__(self, min_df: int = 2) -> None:
        self.min_df = min_df

    def fit(self, X: Iterable[str], y: Any = None) -> ConceptFeaturizer:
        df: dict[str, int] = {}
        for text in X:
            for name in extract_features(text):
                df[name] = df.get(name, 0) + 1
        names = sorted(n for n, c in df.items() if c >= self.min_df)
        self.feature_names_: np.ndarray = np.asarray(names, dtype=str)
        self.vocabulary_: dict[str, int] = {n: i for i, n in enumerate(names)}
        self.n_features_out_: int = len(names)
        return self

    # The vocabulary is derived from feature_names_: it is not stored (a small, fast artifact) and is
    # rebuilt when the object is restored.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("vocabulary_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "feature_names_" in state:
            self.vocabulary_ = {str(n): i for i, n in enumerate(self.feature_names_)}

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        vocab = self.vocabulary_
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for text in X:
            for name, value in extract_features(text).items():
                j = vocab.get(name)
                if j is not None:
                    indices.append(j)
                    values.append(value)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (
                np.asarray(values, dtype=np.float64),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, len(vocab)),
        )

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.asarray([str(n) for n in self.feature_names_], dtype=object)
