"""Wire formats: parsing and validating `articles` messages, and the scored record.

The checks here mirror ``streams/schema/article.schema.json`` (a unit test keeps the two in step).
Every failure raises :class:`models.errors.InputError` with a short, stable ``reason`` code that is used
as the dead-letter reason and as a metric label.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from models.errors import InputError

SCHEMA_PATH = Path(__file__).parent / "schema" / "article.schema.json"
MAX_MESSAGE_BYTES = 1024 * 1024
MAX_ID_CHARS = 256
_LANGUAGE = re.compile(r"^[a-z]{2}$")

# Dead-letter reasons: a closed set, so the metric label stays low-cardinality.
REASONS = (
    "too_large",
    "bad_utf8",
    "bad_json",
    "not_object",
    "bad_id",
    "bad_field",
    "missing_text",
    "bad_text",
)


@dataclass(frozen=True)
class Article:
    """A validated article. ``extra`` keeps unknown fields (kept and ignored)."""

    id: str
    title: str
    text: str
    url: str | None = None
    source: str | None = None
    language: str | None = None
    published_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("bad_field", f"field {name!r} must be a string, got {type(value).__name__}")
    return value


def parse_article(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Article:
    """Decode and validate one ``articles`` message; raise InputError with the reason otherwise."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise InputError("bad_field", f"message value must be bytes, got {type(raw).__name__}")
    if len(raw) > max_bytes:
        raise InputError("too_large", f"message is {len(raw)} bytes, the limit is {max_bytes}")
    try:
        decoded = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("bad_utf8", f"not valid UTF-8 at byte {exc.start}") from None
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise InputError("bad_json", f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    return article_from_dict(data)


def article_from_dict(data: Any) -> Article:
    """Validate an already decoded JSON value as an article."""
    if not isinstance(data, dict):
        raise InputError("not_object", f"an article must be a JSON object, got {type(data).__name__}")
    article_id = data.get("id")
    if not isinstance(article_id, str):
        kind = "nothing" if article_id is None else type(article_id).__name__
        raise InputError("bad_id", f"'id' must be a string, got {kind}")
    if not article_id.strip() or len(article_id) > MAX_ID_CHARS:
        raise InputError("bad_id", f"'id' must have 1-{MAX_ID_CHARS} characters and not be blank")
    title = _optional_str(data, "title") or ""
    text = _optional_str(data, "text") or ""
    if not title.strip() and not text.strip():
        raise InputError("missing_text", "at least one of 'title' and 'text' must be a non-empty string")
    if "\x00" in title or "\x00" in text:
        raise InputError("bad_text", "'title'/'text' contain NUL characters (binary data?)")
    language = _optional_str(data, "language")
    if language is not None and not _LANGUAGE.match(language):
        raise InputError("bad_field", f"'language' must be an ISO 639-1 code like 'en', got {language!r}")
    published_at = _optional_str(data, "published_at")
    if published_at is not None:
        try:
            datetime.fromisoformat(published_at.replace("Z", "+00:00"))
        except ValueError:
            raise InputError("bad_field", f"'published_at' is not RFC 3339: {published_at!r}") from None
    known = {"id", "title", "text", "url", "source", "language", "published_at"}
    return Article(
        id=article_id,
        title=title,
        text=text,
        url=_optional_str(data, "url"),
        source=_optional_str(data, "source"),
        language=language,
        published_at=published_at,
        extra={k: v for k, v in data.items() if k not in known},
    )


def best_effort_id(raw: bytes) -> str | None:
    """The article id of a message that failed validation, when one can still be read (for error lines)."""
    try:
        data = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return str(data["id"])[:MAX_ID_CHARS]
    return None
