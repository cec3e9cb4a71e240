"""Input validation: empty, huge and binary input give clear InputError errors."""

from __future__ import annotations

import pytest

from models.artifact import load_model
from models.errors import InputError
from models.scoring import MAX_TEXT_BYTES, compose_text, validate_text


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty(model, text: str) -> None:
    with pytest.raises(InputError) as err:
        model.predict([text])
    assert err.value.reason == "empty"


def test_huge(model) -> None:
    with pytest.raises(InputError) as err:
        model.predict(["Nordkorea " * (MAX_TEXT_BYTES // 10 + 10)])
    assert err.value.reason == "too_large"


def test_just_under_the_limit_is_fine() -> None:
    assert validate_text("a" * (MAX_TEXT_BYTES - 10))


@pytest.mark.parametrize("text", ["abc\x00def", "\x01\x02\x03\x04" * 50 + "text", "\ufffd" * 200])
def test_binary(model, text: str) -> None:
    with pytest.raises(InputError) as err:
        model.predict([text])
    assert err.value.reason == "binary"


def test_bytes_are_not_text(model) -> None:
    with pytest.raises(InputError) as err:
        model.predict([b"North Korea fired a missile"])  # type: ignore[list-item]
    assert err.value.reason == "not_text"


def test_bad_item_is_named(model) -> None:
    with pytest.raises(InputError, match="item 1"):
        model.predict(["North Korea fired a missile.", ""])


def test_compose_text() -> None:
    assert compose_text("Title", "Body") == "Title\n\nBody"
    assert compose_text(None, "Body") == "Body"
    assert compose_text("Title", None) == "Title"
    assert compose_text("  ", "Body ") == "Body"
    assert compose_text(None, None) == ""
