from __future__ import annotations

import pytest
from pydantic import ValidationError

from streams.settings import Settings

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_defaults_match_design() -> None:
    settings = Settings()
    assert settings.kafka_url == "kafka://127.0.0.1:9092"
    assert settings.topic(settings.topic_articles) == "articles"
    assert settings.webhook_urls == ()


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENSION_KAFKA_URL", "kafka://broker:9092")
    monkeypatch.setenv("TENSION_WEB_PORT", "7001")
    monkeypatch.setenv("TENSION_WEBHOOK_URLS", "http://a.example/x, slack+https://b.example/y")
    monkeypatch.setenv("TENSION_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TENSION_MODEL_PATH", "/tmp/m.skops")
    monkeypatch.setenv("TENSION_TOPIC_PREFIX", "t1.")
    settings = Settings()
    assert settings.web_port == 7001
    assert settings.webhook_urls == ("http://a.example/x", "slack+https://b.example/y")
    assert settings.sinks() == [("json", "http://a.example/x"), ("slack", "https://b.example/y")]
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings) and SECRET not in str(settings)
    assert settings.topic(settings.topic_dlq) == "t1.articles.dlq"
    assert str(settings.model_path) == "/tmp/m.skops"


def test_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.web_port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TENSION_WEBHOOK_URLS": "http://a/x"}, "TENSION_WEBHOOK_SECRET"),
        ({"TENSION_WEBHOOK_URLS": "ftp://a/x", "TENSION_WEBHOOK_SECRET": SECRET}, "http"),
        ({"TENSION_WEBHOOK_SECRET": "plain"}, "whsec_"),
        ({"TENSION_WEB_PORT": "0"}, "web_port"),
        ({"TENSION_WEBHOOK_URLS": "slack+ftp://a/x", "TENSION_WEBHOOK_SECRET": SECRET}, "http"),
    ],
)
def test_bad_configuration_is_explained(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as info:
        Settings()
    assert message in str(info.value)
