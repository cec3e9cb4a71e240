from __future__ import annotations

import json

import jsonschema
import pytest

from models.errors import InputError
from streams.records import REASONS, SCHEMA_PATH, article_from_dict, best_effort_id, parse_article


def encode(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_valid_article_keeps_unknown_fields() -> None:
    article = parse_article(
        encode({"id": "a1", "title": "Grenzvorfall", "text": "", "language": "de", "foo": [1, 2]})
    )
    assert article.id == "a1"
    assert article.title == "Grenzvorfall"
    assert article.language == "de"
    assert article.extra == {"foo": [1, 2]}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"x" * 2000, "too_large"),
        (b'{"id": "a", "text": "\xff\xfe"}', "bad_utf8"),
        (b"not json at all", "bad_json"),
        (b"[1, 2]", "not_object"),
        (encode({"id": 7, "text": "x"}), "bad_id"),
        (encode({"text": "x"}), "bad_id"),
        (encode({"id": "   ", "text": "x"}), "bad_id"),
        (encode({"id": "a" * 257, "text": "x"}), "bad_id"),
        (encode({"id": "a", "text": ["x"]}), "bad_field"),
        (encode({"id": "a", "title": "", "text": "  "}), "missing_text"),
        (encode({"id": "a"}), "missing_text"),
        (encode({"id": "a", "text": "x", "language": "German"}), "bad_field"),
        (encode({"id": "a", "text": "x", "published_at": "yesterday"}), "bad_field"),
        (encode({"id": "a", "text": "bin\u0000ary"}), "bad_text"),
    ],
)
def test_invalid_messages_have_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(InputError) as info:
        parse_article(raw, max_bytes=1024)
    assert info.value.reason == reason
    assert info.value.reason in REASONS
    assert info.value.detail


def test_size_limit_is_inclusive() -> None:
    body = encode({"id": "a", "text": "y"})
    assert parse_article(body, max_bytes=len(body)).text == "y"
    with pytest.raises(InputError):
        parse_article(body, max_bytes=len(body) - 1)


def test_best_effort_id() -> None:
    assert best_effort_id(encode({"id": "k", "text": 3})) == "k"
    assert best_effort_id(b"\xff") is None
    assert best_effort_id(b"[]") is None


SCHEMA_CASES = [
    {"id": "a", "text": "x"},
    {"id": "a", "title": "x"},
    {"id": "a", "title": "x", "text": None, "url": "https://example.org", "language": "en"},
    {"id": "a", "title": "x", "published_at": "2026-01-02T03:04:05Z", "other": {"k": 1}},
    {"id": 1, "text": "x"},
    {"text": "x"},
    {"id": "", "text": "x"},
    {"id": "a"},
    {"id": "a", "title": " ", "text": ""},
    {"id": "a", "text": ["x"]},
    {"id": "a", "text": "x", "language": "english"},
    {"id": "a", "text": "x", "source": 5},
]


@pytest.mark.parametrize("doc", SCHEMA_CASES)
def test_schema_file_agrees_with_the_validator(doc: dict[str, object]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    schema_ok = jsonschema.Draft202012Validator(schema).is_valid(doc)
    try:
        article_from_dict(doc)
        code_ok = True
    except InputError:
        code_ok = False
    assert schema_ok == code_ok
