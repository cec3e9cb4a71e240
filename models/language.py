"""Language detection: py3langid restricted to the languages the monitor expects."""

from __future__ import annotations

import re
import threading
from typing import Any

#: Languages the identifier may answer (ISO 639-1).
LANGUAGES: tuple[str, ...] = ("en", "de", "ko", "fr", "es", "ru", "ja", "zh", "it", "nl", "pl", "uk")

#: Answer for text without any letters.
UNKNOWN = "und"

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_LETTER = re.compile(r"[^\W\d_]")
_MAX_CHARS = 2000

_lock = threading.Lock()
_identifier: Any = None


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_pickled_model(MODEL_FILE)
                ident.set_languages(list(LANGUAGES))
                _identifier = ident
    return _identifier


# Fast path for the two main languages: distinctive function words, counted in the first characters.
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "was",
        "that",
        "with",
        "for",
        "on",
        "are",
        "by",
        "this",
        "from",
        "has",
        "have",
        "it",
        "said",
        "were",
        "which",
        "would",
    ]
)
_DE_WORDS = frozenset(
    [
        "der",
        "die",
        "und",
        "das",
        "ist",
        "nicht",
        "mit",
        "sich",
        "auf",
        "dem",
        "den",
        "ein",
        "eine",
        "auch",
        "wird",
        "von",
        "zu",
        "im",
        "sind",
        "wurde",
        "nach",
        "bei",
    ]
)
_FAST_CHARS = 1000
_WORD = re.compile(r"[^\W\d_]+")


def _fast_en_de(sample: str) -> str | None:
    words = _WORD.findall(sample[:_FAST_CHARS].lower())
    en = sum(1 for w in words if w in _EN_WORDS)
    de = sum(1 for w in words if w in _DE_WORDS)
    if en >= 3 and en >= 4 * de and en * 8 >= len(words):
        return "en"
    if de >= 3 and de >= 4 * en and de * 8 >= len(words):
        return "de"
    return None


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of ``text`` (``"und"`` when it holds no letters).

    Hangul is a shortcut to ``ko`` (and kana to ``ja``) when those scripts make up a good part of the
    letters; English and German text that is clearly marked by its function words is answered from them
    (fast); otherwise py3langid decides among :data:`LANGUAGES` on the first 2,000 characters.
    """
    sample = text[:_MAX_CHARS]
    if _LETTER.search(sample) is None:
        return UNKNOWN
    if not sample.isascii():
        visible = max(1, len(sample) - sample.count(" ") - sample.count("\n"))
        if len(_HANGUL.findall(sample)) * 4 >= visible:
            return "ko"
        if len(_KANA.findall(sample)) * 8 >= visible:
            return "ja"
    fast = _fast_en_de(sample)
    if fast is not None:
        return fast
    lang, _score = _get_identifier().classify(sample)
    return str(lang)
