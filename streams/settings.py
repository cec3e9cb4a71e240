"""Runtime configuration: one frozen pydantic-settings object, built once at start-up and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SinkFormat = Literal["json", "slack", "alertmanager"]


class Settings(BaseSettings):
    """Every knob of the worker, read from ``TENSION_*`` environment variables (or passed explicitly)."""

    model_config = SettingsConfigDict(env_prefix="TENSION_", frozen=True, extra="ignore")

    # Kafka and Faust
    kafka_url: str = "kafka://127.0.0.1:9092"
    app_id: str = "tension-monitor"
    topic_prefix: str = ""
    topic_articles: str = "articles"
    topic_scored: str = "articles.scored"
    topic_dlq: str = "articles.dlq"
    topic_alerts: str = "tension.alerts"
    topic_alerts_dlq: str = "tension.alerts.dlq"
    topic_signals: str = "tension.signals"
    topic_updates: str = "tension.updates"
    topic_partitions: int = Field(default=4, ge=1)
    data_dir: Path = Path(".cache/worker")

    # HTTP (/metrics, /healthz)
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=1, le=65535)

    # Model and scoring
    model_path: Path | None = None
    batch_size: int = Field(default=64, ge=1, le=10_000)
    batch_timeout_seconds: float = Field(default=0.2, gt=0)
    max_message_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Alert rules (YAML; default: the packaged streams/rules/default.yaml)
    rules_path: Path | None = None
    dyads_per_article: int = Field(default=3, ge=0, le=6)
    gauge_refresh_seconds: float = Field(default=15.0, gt=0)

    # Webhook delivery (Standard Webhooks)
    webhook_urls: Annotated[tuple[str, ...], NoDecode] = ()
    webhook_secret: SecretStr | None = None
    webhook_format: SinkFormat = "json"
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=6, ge=1)
    webhook_backoff_initial_seconds: float = Field(default=0.5, ge=0)
    webhook_backoff_max_seconds: float = Field(default=30.0, ge=0)
    webhook_max_age_seconds: float = Field(default=3600.0, gt=0)

    log_level: str = "info"

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("webhook_urls")
    @classmethod
    def _check_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            _, plain = split_sink(url)
            if not plain.startswith(("http://", "https://")):
                raise ValueError(f"webhook URL must start with http:// or https://: {url!r}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("whsec_"):
            raise ValueError("webhook secret must be a Standard Webhooks secret starting with 'whsec_'")
        return value

    @model_validator(mode="after")
    def _secret_with_urls(self) -> Settings:
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError("TENSION_WEBHOOK_URLS is set but TENSION_WEBHOOK_SECRET is not (whsec_...)")
        return self

    def topic(self, name: str) -> str:
        """The full topic name for one of the ``topic_*`` settings' values."""
        return f"{self.topic_prefix}{name}"

    def sinks(self) -> list[tuple[str, str]]:
        """(format, url) per webhook URL: a ``slack+`` / ``alertmanager+`` / ``json+`` prefix picks the
        format of that URL, otherwise ``webhook_format``."""
        out: list[tuple[str, str]] = []
        for url in self.webhook_urls:
            sink, plain = split_sink(url)
            out.append((sink or self.webhook_format, plain))
        return out


def split_sink(url: str) -> tuple[SinkFormat | None, str]:
    for sink in ("json", "slack", "alertmanager"):
        if url.startswith(f"{sink}+"):
            return sink, url[len(sink) + 1 :]  # type: ignore[return-value]
    return None, url
