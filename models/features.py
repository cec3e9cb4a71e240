"""Text features: the one function that defines them, and the transformer that vectorises them.

Features are language-neutral *concept* tokens (see :mod:`models.lexicon`) rather than words, so English
training text teaches the German side and the source's style (datelines, bylines, wording, length) gives
the model little to latch on to. All but the lead features are position-insensitive:

* ``c:<concept>``        1 if the concept is mentioned anywhere (presence: long texts do not pile up counts)
* ``p:<a>+<b>``          log(1 + number of sentences that mention both concepts)  (same-sentence evidence:
                         ``p:balloon+border`` is what separates a DMZ incident from a passing mention)
* ``w:<a>+<b>``          an actor/place in one sentence, an event concept in the next (log count)
* ``t:<word>``           the (folded) words themselves, sublinear tf-idf, L2-normalised and weighted
                         (the vectoriser keeps only words that are not exclusive to one source)
* ``g:<group>>=k``       some window of three sentences holds at least k distinct concepts of an evidence
                         group (``g:<group>@korea>=k``: and names a Korea): dense local evidence marks an
                         event told in the text, wherever it is in a long article
* ``x:<frame>``          an event frame (who did what to whom: e.g. a delivery verb + arms + a party of the
                         wars) within two adjacent sentences, log count (see ``models.lexicon.FRAMES``)
* ``o:<actor>+<item>``   an actor named right before a military item ("North Korean troops", "Iranian-made
                         drones", "nordkoreanische Granaten") or after it behind from/aus/of/von ("Truppen
                         aus Nordkorea"), log count: whose soldiers or weapons, which a bag of concepts
                         cannot tell; origin frames (``x:nk_troops_abroad``) join an origin with a context
                         concept in the sentence or a neighbour (see ``models.lexicon.ORIGIN_FRAMES``)
* ``l:<group>>=k``       the lead (title and the first sentences) holds at least k distinct concepts of the
                         group (``l:<group>@korea>=k`` likewise): news states its subject in the lead, so
                         these separate the subject of a long article from a passing mention further down

German compounds are matched by their parts (``*waffe*`` + ``*liefer*`` in ``Waffenlieferungen``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import combinations, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from models.lexicon import (
    CONCEPTS,
    EXCLUDE,
    FRAMES,
    GROUP_ANCHORS,
    GROUPS,
    LEXICON_VERSION,
    ORIGIN_ACTORS,
    ORIGIN_FRAMES,
    ORIGIN_ITEMS,
)

__all__ = [
    "FEATURES_VERSION",
    "ConceptFeaturizer",
    "concepts_of_token",
    "extract_features",
    "fold",
    "mask_of",
    "sentence_masks",
    "strip_boilerplate",
]

FEATURES_VERSION = f"concepts-6/{LEXICON_VERSION}"

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
_CASED = re.compile(r"U(?<=\bU)(?:\.\s?S\.(?:\s?A\.)?|SA?\b|NO?\b)|E(?<=\bE)U\b")
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
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_LOG1P = [math.log1p(n) for n in range(64)]

#: Concepts that are kept as counts but never paired (too generic to mean anything in a pair).
UNPAIRED: frozenset[str] = frozenset({"sport", "economy", "entertainment", "weather", "domestic", "security"})
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
# Tokenisation: sentence ends become line breaks and punctuation spaces (one byte-table pass for ASCII,
# one regex pass for the common non-ASCII marks), then lines and words are split by str.split.
_ASCII_STOPS = ".!?;:"
_ASCII_PUNCT = ",\"'()[]{}<>-/\\|#*+=~^`@&%$_\t\r\f\v"
_BYTE_TABLE = bytes.maketrans(
    (_ASCII_STOPS + _ASCII_PUNCT).encode(), ("\n" * len(_ASCII_STOPS) + " " * len(_ASCII_PUNCT)).encode()
)
_UNICODE_PUNCT = re.compile("[«»„“”‘’‚‹›–—‐‑−•·\u00a0€£§©®°]")
_UNICODE_STOPS = re.compile("[\u3002…]")

# Concept sets are handled as integer bit masks (one bit per concept): unions, intersections and counts
# of a sentence's or a window's concepts are then single integer operations.
CONCEPT_NAMES: tuple[str, ...] = tuple(CONCEPTS)
_BIT = {c: 1 << i for i, c in enumerate(CONCEPT_NAMES)}


def _mask(concepts: Iterable[str]) -> int:
    m = 0
    for c in concepts:
        m |= _BIT.get(c, 0)
    return m


def _bit_names(mask: int, names: Sequence[str]) -> list[str]:
    """The entries of ``names`` whose bits are set in ``mask`` (bit i <-> names[i])."""
    out: list[str] = []
    i = 0
    while mask:
        if mask & 1:
            out.append(names[i])
        mask >>= 1
        i += 1
    return out


def _names(mask: int) -> list[str]:
    return _bit_names(mask, CONCEPT_NAMES)


_UNPAIRED_MASK = _mask(UNPAIRED)
_ANCHOR_MASK = _mask(ANCHORS)
_PHRASE_MASKS = {w: [(rest, _mask(cs)) for rest, cs in items] for w, items in _PHRASE_INDEX.items()}
# Token caches shared by all calls: every distinct token is classified once (token -> concept mask).
_KNOWN: set[str] = set()
_RELEVANT: dict[str, int] = {}
_CACHE_LIMIT = 500_000


def _learn(tokens: set[str]) -> None:
    if len(_KNOWN) > _CACHE_LIMIT:
        _KNOWN.clear()
        _RELEVANT.clear()
    for tok in tokens:
        hit = concepts_of_token(tok)
        if hit:
            _RELEVANT[tok] = _mask(hit)
    _KNOWN.update(tokens)


def _phrases_in(words: list[str], firsts: set[str]) -> int:
    found = 0
    for i, w in enumerate(words):
        if w in firsts:
            for rest, mask in _PHRASE_MASKS[w]:
                if words[i + 1 : i + 1 + len(rest)] == rest:
                    found |= mask
    return found


def _analyse(text: str) -> tuple[list[int], list[str], dict[int, list[str]]]:
    """(concept mask of each sentence, all word tokens, origin keys by sentence index) of ``text`` (see
    :func:`_origins`)."""
    text = strip_boilerplate(text)
    if "US" in text or "U.S" in text or "UN" in text or "EU" in text:
        text = _CASED.sub(_cased_repl, text)
    lowered = text.lower()
    if not lowered.isascii():
        lowered = _UNICODE_PUNCT.sub(" ", lowered)
        if "\u3002" in lowered or "…" in lowered:
            lowered = _UNICODE_STOPS.sub("\n", lowered)
    lowered = lowered.encode("utf-8", "surrogatepass").translate(_BYTE_TABLE).decode("utf-8", "surrogatepass")
    out: list[int] = []
    all_words: list[str] = []
    origins: dict[int, list[str]] = {}
    relevant = _RELEVANT
    phrase_firsts = _PHRASE_MASKS.keys()
    for chunk in lowered.split("\n"):
        words = chunk.split()
        if not words:
            continue
        all_words.extend(words)
        toks = set(words)
        unknown = toks - _KNOWN
        if unknown:
            _learn(unknown)
        current = 0
        for tok in toks & relevant.keys():
            current |= relevant.get(tok, 0)
        firsts = toks & phrase_firsts
        if firsts:
            current |= _phrases_in(words, firsts)
        if current & _ORIGIN_ACTOR_MASK and current & _ORIGIN_ITEM_MASK:
            keys = _origins(words)
            if keys:
                origins[len(out)] = keys
        out.append(current)
    return out, all_words, origins


_ORIGIN_ACTOR_MASK = _mask(ORIGIN_ACTORS)
_ORIGIN_ITEM_MASK = _mask(ORIGIN_ITEMS)
_ORIGIN_BEFORE = 3
_ORIGIN_AFTER = 3
_ORIGIN_LINKS = frozenset({"from", "aus", "of", "von"})
_KOREA_BIT = _BIT["korea"]
_KOREA_SIDES = {"north": _BIT["nkorea"], "south": _BIT["skorea"]}
_ORIGIN_KEYS: dict[tuple[int, int], str] = {
    (_BIT[a], _BIT[i]): f"o:{a}+{i}" for a in ORIGIN_ACTORS for i in ORIGIN_ITEMS
}


def _origins(words: list[str]) -> list[str]:
    """Origin keys (``o:<actor>+<item>``) of one sentence's words."""
    relevant = _RELEVANT
    hits: list[tuple[int, int]] = []
    for i, w in enumerate(words):
        m = relevant.get(w)
        if m is None:
            continue
        if m & _KOREA_BIT and i and words[i - 1] in _KOREA_SIDES:
            m |= _KOREA_SIDES[words[i - 1]]
        hits.append((i, m))
    keys: list[str] = []
    for i, m in hits:
        items = m & _ORIGIN_ITEM_MASK
        if not items:
            continue
        actors = 0
        for k, m2 in hits:
            d = k - i
            if -_ORIGIN_BEFORE <= d < 0 or (
                0 < d <= _ORIGIN_AFTER and _ORIGIN_LINKS.intersection(words[i + 1 : k])
            ):
                actors |= m2 & _ORIGIN_ACTOR_MASK
        if actors:
            keys.extend(_ORIGIN_KEYS[(a, b)] for a in _single_bits(actors) for b in _single_bits(items))
    return keys


def _single_bits(mask: int) -> list[int]:
    out: list[int] = []
    while mask:
        low = mask & -mask
        out.append(low)
        mask ^= low
    return out


def sentence_masks(text: str) -> list[int]:
    """Concept bit masks of the sentences of ``text`` (see :func:`mask_of`)."""
    return _analyse(text)[0]


def mask_of(concepts: Iterable[str]) -> int:
    """The bit mask of a set of concept names (the bits :func:`sentence_masks` uses)."""
    return _mask(concepts)


def sentence_concepts(text: str) -> list[set[str]]:
    """Concept sets of the sentences of ``text``, in order (empty sets for sentences without concepts)."""
    return [set(_names(m)) for m in _analyse(text)[0]]


@lru_cache(maxsize=262_144)
def _word_key(token: str) -> str | None:
    """The folded word for words of three or more characters starting with a letter, else None."""
    if len(token) < 3 or not token[0].isalpha():
        return None
    return _fold_token(token)


_PAIR_CACHE: dict[int, tuple[str, ...]] = {}
_MINUS_ONE = repeat(-1)
_SINGLE_NAMES = tuple("c:" + c for c in CONCEPT_NAMES)


def _single_keys(mask: int) -> list[str]:
    return _bit_names(mask, _SINGLE_NAMES)


_WINDOW_CACHE: dict[tuple[int, int], tuple[str, ...]] = {}
_MEMO_LIMIT = 200_000


def _pair_keys(paired: int) -> tuple[str, ...]:
    keys = _PAIR_CACHE.get(paired)
    if keys is None:
        keys = tuple(f"p:{a}+{b}" for a, b in combinations(sorted(_names(paired)), 2))
        if len(_PAIR_CACHE) > _MEMO_LIMIT:
            _PAIR_CACHE.clear()
        _PAIR_CACHE[paired] = keys
    return keys


def _window_keys(previous: int, paired: int) -> tuple[str, ...]:
    """Pairs of an anchor in one sentence and a non-anchor in the next (or the other way round)."""
    key = (previous, paired)
    keys = _WINDOW_CACHE.get(key)
    if keys is None:
        old, new = previous & ~paired, paired & ~previous
        found: list[str] = []
        for a_mask, b_mask in (
            (old & _ANCHOR_MASK, new & ~_ANCHOR_MASK),
            (old & ~_ANCHOR_MASK, new & _ANCHOR_MASK),
        ):
            if a_mask and b_mask:
                for a in _names(a_mask):
                    for b in _names(b_mask):
                        found.append(f"w:{a}+{b}" if a < b else f"w:{b}+{a}")
        keys = tuple(found)
        if len(_WINDOW_CACHE) > _MEMO_LIMIT:
            _WINDOW_CACHE.clear()
        _WINDOW_CACHE[key] = keys
    return keys


_GROUP_MASKS = {g: _mask(c) for g, c in GROUPS.items()}
_GROUP_ANCHOR_MASKS = {a: _mask(c) for a, c in GROUP_ANCHORS.items()}
_ALL_GROUP_MASK = _mask(c for cs in GROUPS.values() for c in cs)
#: Sentences per window for the evidence-group features.
GROUP_WINDOW = 3
#: Cut-offs of the evidence-group features: ``g:<group>>=k`` (and ``l:<group>>=k``) for each k.
GROUP_LEVELS = (1, 2, 3, 4, 5, 6)


def _level_names(prefix: str) -> dict[tuple[str, int], str]:
    """Feature names ``<prefix>:<group or group@anchor>>=<level>`` by (key, level)."""
    keys = [*GROUPS, *(f"{g}@{a}" for g in GROUPS for a in GROUP_ANCHORS)]
    return {(key, level): f"{prefix}:{key}>={level}" for key in keys for level in GROUP_LEVELS}


def _set_levels(
    counts: Iterable[tuple[str, int]], names: Mapping[tuple[str, int], str], feats: dict[str, float]
) -> None:
    """Set the level features of each (key, number of distinct group concepts)."""
    for key, k in counts:
        for level in GROUP_LEVELS:
            if k >= level:
                feats[names[key, level]] = 1.0


_GROUP_NAMES = _level_names("g")


_GROUP_RELEVANT_MASK = _ALL_GROUP_MASK | _mask(c for cs in GROUP_ANCHORS.values() for c in cs)
_GROUP_CACHE: dict[int, tuple[tuple[str, int], ...]] = {}


def _window_groups(window: int) -> tuple[tuple[str, int], ...]:
    """(group or group@anchor, number of distinct group concepts) for one window's concept mask."""
    found = _GROUP_CACHE.get(window)
    if found is None:
        out: list[tuple[str, int]] = []
        for group, gmask in _GROUP_MASKS.items():
            k = (window & gmask).bit_count()
            if k:
                out.append((group, k))
                out.extend((group + "@" + a, k) for a, amask in _GROUP_ANCHOR_MASKS.items() if window & amask)
        found = tuple(out)
        if len(_GROUP_CACHE) > _MEMO_LIMIT:
            _GROUP_CACHE.clear()
        _GROUP_CACHE[window] = found
    return found


def _group_features(sentences: list[int], feats: dict[str, float]) -> None:
    """``g:<group>>=k``: some window of GROUP_WINDOW sentences holds >= k distinct concepts of the group
    (``g:<group>@<anchor>>=k``: the same window also names the anchor)."""
    n = len(sentences)
    hits = [i for i, m in enumerate(sentences) if m & _ALL_GROUP_MASK]
    if not hits:
        return
    best: dict[str, int] = {}
    starts = {max(0, min(i - k, n - GROUP_WINDOW)) for i in hits for k in range(GROUP_WINDOW)}
    windows = set()
    for start in starts:
        window = 0
        for m in sentences[start : start + GROUP_WINDOW]:
            window |= m
        windows.add(window & _GROUP_RELEVANT_MASK)
    for window in windows:
        for key, k in _window_groups(window):
            if k > best.get(key, 0):
                best[key] = k
    _set_levels(best.items(), _GROUP_NAMES, feats)


#: Sentences (the title counts as one) that make up a text's lead.
LEAD_SENTENCES = 3
_LEAD_NAMES = _level_names("l")


def _lead_features(sentences: list[int], feats: dict[str, float]) -> None:
    """``l:<group>>=k``: the lead (title and first sentences) holds at least k distinct concepts of the
    group (``l:<group>@<anchor>>=k``: and names the anchor). News puts its subject in the lead; a passing
    mention further down does not fire these."""
    lead = 0
    for m in sentences[:LEAD_SENTENCES]:
        lead |= m
    if not lead & _ALL_GROUP_MASK:
        return
    _set_levels(_window_groups(lead & _GROUP_RELEVANT_MASK), _LEAD_NAMES, feats)


_FRAME_MASKS = {f"x:{name}": tuple(_mask(part) for part in parts) for name, parts in FRAMES.items()}
_FRAME_ANY = _mask(c for parts in FRAMES.values() for part in parts for c in part)


def _frame_features(sentences: list[int], feats: dict[str, float]) -> None:
    """``x:<frame>``: log(1 + number of sentences that, together with the next one, hold one concept of
    each part of the frame (:data:`models.lexicon.FRAMES`)."""
    counts: dict[str, int] = {}
    n = len(sentences)
    for i, m in enumerate(sentences):
        if not m & _FRAME_ANY:
            continue
        window = m | sentences[i + 1] if i + 1 < n else m
        for name, parts in _FRAME_MASKS.items():
            if all(window & part for part in parts):
                counts[name] = counts.get(name, 0) + 1
    for name, k in counts.items():
        feats[name] = math.log1p(k)


_ORIGIN_FRAME_MASKS = {
    f"x:{name}": (frozenset(f"o:{a}+{i}" for a in actors for i in items), _mask(context))
    for name, (actors, items, context) in ORIGIN_FRAMES.items()
}


def _origin_frame_features(
    sentences: list[int], origins: Mapping[int, list[str]], feats: dict[str, float]
) -> None:
    """``x:<frame>`` of :data:`models.lexicon.ORIGIN_FRAMES`: log(1 + number of sentences with one of the
    frame's origins (an actor's item) and, in that sentence or a neighbour, one of its context concepts)."""
    counts: dict[str, int] = {}
    n = len(sentences)
    for s, keys in origins.items():
        window = sentences[s] | (sentences[s - 1] if s else 0) | (sentences[s + 1] if s + 1 < n else 0)
        for name, (wanted, context) in _ORIGIN_FRAME_MASKS.items():
            if window & context and not wanted.isdisjoint(keys):
                counts[name] = counts.get(name, 0) + 1
    for name, k in counts.items():
        feats[name] = math.log1p(k)


def extract_features(text: str) -> dict[str, float]:
    """THE feature function: a text (title and body joined by ``compose_text``) -> named feature values.

    Concept features (``c:``, ``p:``, ``w:``, ``g:``, ``l:``, ``x:``, ``o:``) and word features (``t:``); see
    the module docstring.
    """
    concepts, words = _features(text)
    concepts.update(("t:" + w, v) for w, v in words.items())
    return concepts


def _features(text: str) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`extract_features` in two parts: (concept features by name, word -> sublinear tf)."""
    sentences, words, origins = _analyse(text)
    return _concept_features(sentences, origins), _word_tf(Counter(words))


def _word_tf(counts: Counter[str]) -> dict[str, float]:
    """Folded word -> 1 + log(count) (forms that fold to one word add up)."""
    log1p = _LOG1P
    word_key = _word_key
    word_feats: dict[str, float] = {}
    for word, n in counts.items():
        wk = word_key(word)
        if wk is not None:
            tf = 1.0 + (log1p[n - 1] if n - 1 < len(log1p) else math.log(n))
            word_feats[wk] = word_feats.get(wk, 0.0) + tf
    return word_feats


def _vocab_word_tf(counts: Counter[str], vocab: Mapping[str, Any]) -> dict[str, float]:
    """:func:`_word_tf` restricted to the words of ``vocab`` (fast: only matching words are touched)."""
    log1p = _LOG1P
    out: dict[str, float] = {}
    for word in counts.keys() & vocab.keys():
        n = counts[word]
        out[word] = 1.0 + (log1p[n - 1] if n - 1 < len(log1p) else math.log(n))
    for word in [w for w in counts if not w.isascii()]:
        folded = _word_key(word)
        if folded is not None and folded != word and folded in vocab:
            n = counts[word]
            out[folded] = out.get(folded, 0.0) + 1.0 + (log1p[n - 1] if n - 1 < len(log1p) else math.log(n))
    return out


def _concept_features(
    sentences: list[int], origins: Mapping[int, list[str]] | None = None
) -> dict[str, float]:
    """The concept features (all but ``t:``) of a text's sentence concept masks and origin keys."""
    feats: dict[str, float] = {}
    pairs: list[str] = []
    windows: list[str] = []
    doc = 0
    previous = 0
    not_unpaired = ~_UNPAIRED_MASK
    for current in sentences:
        if not current:
            previous = 0
            continue
        doc |= current
        paired = current & not_unpaired
        pairs.extend(_pair_keys(paired))
        if previous and paired:
            windows.extend(_window_keys(previous, paired))
        previous = paired
    _group_features(sentences, feats)
    _lead_features(sentences, feats)
    _frame_features(sentences, feats)
    origin_keys: list[str] = []
    if origins:
        _origin_frame_features(sentences, origins, feats)
        for keys in origins.values():
            origin_keys.extend(keys)
    # single concepts: presence only, so that long texts do not pile up generic evidence;
    # pairs: log counts, a subject told in several sentences weighs more than a passing mention
    for name in _single_keys(doc):
        feats[name] = 1.0
    log1p = _LOG1P
    for keys in (pairs, windows, origin_keys):
        for key, n in Counter(keys).items():
            feats[key] = log1p[n] if n < len(log1p) else math.log1p(n)
    return feats


class ConceptFeaturizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Vectorise texts with :func:`extract_features`.

    ``fit`` learns the vocabulary: concept features (all but ``t:``) seen in at least
    ``min_df`` training texts, and word features (``t:``) seen in ``word_min_df`` to ``word_max_df`` (share)
    of the texts. Words that are (nearly) exclusive to one source of the training data (``sources`` passed
    to ``fit``, "" for texts of no particular source; a word is dropped when more than ``source_max_share``
    of the texts that have it come from one source) are dropped: they mark a
    source's style (an agency's idiom, a site's boilerplate) rather than an event. Word values are
    sublinear tf x idf, L2-normalised per text and scaled by ``word_weight``; concept values are kept.
    When ``fit`` gets the label matrix ``y`` (1/0/-1 per category), only the ``max_words`` words with the
    largest chi-square statistic for some category are kept (small artifact, fast transform).
    ``transform`` returns a sparse matrix with one row per text.
    """

    def __init__(
        self,
        min_df: int = 2,
        word_min_df: int = 3,
        word_max_df: float = 0.3,
        word_weight: float = 3.0,
        source_max_share: float = 0.9,
        max_words: int | None = 3000,
    ) -> None:
        self.min_df = min_df
        self.word_min_df = word_min_df
        self.word_max_df = word_max_df
        self.word_weight = word_weight
        self.source_max_share = source_max_share
        self.max_words = max_words

    def fit(self, X: Iterable[str], y: Any = None, sources: Sequence[str] | None = None) -> ConceptFeaturizer:
        df: dict[str, int] = {}
        by_source: dict[str, dict[str, int]] = {}
        doc_words: list[list[str]] = []
        n_docs = 0
        for i, text in enumerate(X):
            n_docs += 1
            src = sources[i] if sources is not None else ""
            feats = extract_features(text)
            doc_words.append([n for n in feats if n[0] == "t"])
            for name in feats:
                df[name] = df.get(name, 0) + 1
                if name[0] == "t" and src:
                    counts = by_source.setdefault(name, {})
                    counts[src] = counts.get(src, 0) + 1
        max_word_df = self.word_max_df * n_docs
        names: list[str] = []
        for name, count in df.items():
            if name[0] != "t":
                if count >= self.min_df:
                    names.append(name)
                continue
            if self.word_weight <= 0 or count < self.word_min_df or count > max_word_df:
                continue
            per_source = by_source.get(name)
            if per_source and max(per_source.values()) > self.source_max_share * count:
                continue
            names.append(name)
        if self.max_words is not None and y is not None:
            names = self._select_words(names, doc_words, np.asarray(y))
        names.sort()
        self.feature_names_: np.ndarray = np.asarray(names, dtype=str)
        self.idf_: np.ndarray = np.asarray(
            [math.log((1 + n_docs) / (1 + df[n])) + 1.0 if n[0] == "t" else 1.0 for n in names]
        )
        self.vocabulary_: dict[str, int] = {n: i for i, n in enumerate(names)}
        self.n_features_out_: int = len(names)
        return self

    def _select_words(self, names: list[str], doc_words: list[list[str]], Y: np.ndarray) -> list[str]:
        """Keep all concept features and the ``max_words`` words with the largest chi-square statistic
        for any category (rows with an unknown label for a category are left out of its test)."""
        from sklearn.feature_selection import chi2

        words = [n for n in names if n[0] == "t"]
        if len(words) <= (self.max_words or 0):
            return names
        col = {w: j for j, w in enumerate(words)}
        rows: list[int] = []
        cols: list[int] = []
        for i, ws in enumerate(doc_words):
            for w in ws:
                j = col.get(w)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        M = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(doc_words), len(words)))
        labels = Y.reshape(len(doc_words), -1)
        best = np.zeros(len(words))
        for k in range(labels.shape[1]):
            known = labels[:, k] >= 0
            yk = labels[known, k]
            if len(np.unique(yk)) < 2:
                continue
            stat, _ = chi2(M[known], yk)
            best = np.maximum(best, np.nan_to_num(stat))
        keep = {words[j] for j in np.argsort(-best)[: self.max_words]}
        return [n for n in names if n[0] != "t" or n in keep]

    # The vocabulary is derived from feature_names_: it is not stored (a small, fast artifact) and is
    # rebuilt when the object is restored.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("vocabulary_", None)
        state.pop("_lookup_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "feature_names_" in state:
            self.vocabulary_ = {str(n): i for i, n in enumerate(self.feature_names_)}

    def _lookups(self) -> tuple[dict[str, int], dict[str, tuple[int, float]]]:
        """(concept feature -> column, word -> (column, idf)), derived from the fitted vocabulary."""
        cached = self.__dict__.get("_lookup_cache")
        if cached is None or cached[0] is not self.vocabulary_:
            concepts = {n: j for n, j in self.vocabulary_.items() if not n.startswith("t:")}
            words = {
                n[2:]: (j, float(self.idf_[j])) for n, j in self.vocabulary_.items() if n.startswith("t:")
            }
            cached = (self.vocabulary_, concepts, words)
            self.__dict__["_lookup_cache"] = cached
        return cached[1], cached[2]

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        concept_cols, word_cols = self._lookups()
        weight = self.word_weight
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for text in X:
            sentences, tokens, origins = _analyse(text)
            feats = _concept_features(sentences, origins)
            for j, value in zip(map(concept_cols.get, feats, _MINUS_ONE), feats.values(), strict=True):
                if j >= 0:
                    indices.append(j)
                    values.append(value)
            w_idx: list[int] = []
            w_val: list[float] = []
            for word, tf in _vocab_word_tf(Counter(tokens), word_cols).items():
                j, idf = word_cols[word]
                w_idx.append(j)
                w_val.append(tf * idf)
            if w_idx:
                scale = weight / math.sqrt(sum(v * v for v in w_val))
                indices.extend(w_idx)
                values.extend(v * scale for v in w_val)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (
                np.asarray(values, dtype=np.float64),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, len(self.vocabulary_)),
        )

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.asarray([str(n) for n in self.feature_names_], dtype=object)
