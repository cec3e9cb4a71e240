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

    # Article alert rule: a category whose score reaches its minimum raises an alert
    alert_min_score: float = Field(default=0.6, ge=0.0, le=1.0)
    alert_category_min_scores: dict[str, float] = Field(default_factory=dict)

    # Webhook delivery (Standard Webhooks)
    webhook_urls: Annotated[tuple[str, ...], NoDecode] = ()
    webhook_secret: SecretStr | None = None
    webhook_format: SinkFormat = "json"
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=6, ge=1)
    webhook_backoff_initial_seconds: float = Field(default=0.5, ge=0)
    webhook_backoff_max_seconds: float = Field(default=30.0, ge=0)

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
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"webhook URL must start with http:// or https://: {url!r}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("whsec_"):
            raise ValueError("webhook secret must be a Standard Webhooks secret starting with 'whsec_'")
        return value

    @field_validator("alert_category_min_scores")
    @classmethod
    def _check_scores(cls, value: dict[str, float]) -> dict[str, float]:
        for category, score in value.items():
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"minimum score for {category!r} must be within 0..1, got {score}")
        return value

    @model_validator(mode="after")
    def _secret_with_urls(self) -> Settings:
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError("TENSION_WEBHOOK_URLS is set but TENSION_WEBHOOK_SECRET is not (whsec_...)")
        return self

    def topic(self, name: str) -> str:
        """The full topic name for one of the ``topic_*`` settings' values."""
        return f"{self.topic_prefix}{name}"

    def min_score(self, category: str) -> float:
        return self.alert_category_min_scores.get(category, self.alert_min_score)
