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


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of ``text`` (``"und"`` when it holds no letters).

    Hangul is a shortcut to ``ko`` (and kana to ``ja``) when those scripts make up a good part of the
    letters; otherwise py3langid decides among :data:`LANGUAGES` on the first 2,000 characters.
    """
    sample = text[:_MAX_CHARS]
    letters = len(_LETTER.findall(sample))
    if letters == 0:
        return UNKNOWN
    if len(_HANGUL.findall(sample)) * 3 >= letters:
        return "ko"
    if len(_KANA.findall(sample)) * 5 >= letters:
        return "ja"
    lang, _score = _get_identifier().classify(sample)
    return str(lang)
