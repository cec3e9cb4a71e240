"""The project's exceptions: one root error, subclasses carry their context as attributes."""

from __future__ import annotations


class TensionError(Exception):
    """Root of every error raised by the tension monitor."""


class InputError(TensionError):
    """An input (article, text, file line) that cannot be processed.

    ``reason`` is a short, stable, low-cardinality code (used as a metric label and in
    dead letters); ``detail`` is the human-readable explanation.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class ModelError(TensionError):
    """The model artifact cannot be loaded, saved or used."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"model {path}: {detail}")
        self.path = path
        self.detail = detail


class ConfigError(TensionError):
    """Configuration (settings, rule files, gazetteer) is invalid."""

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(f"{source}: {detail}")
        self.source = source
        self.detail = detail


class DeliveryError(TensionError):
    """A webhook delivery attempt failed."""

    def __init__(self, url: str, detail: str, *, status: int | None = None, retryable: bool = True) -> None:
        super().__init__(f"{url}: {detail}")
        self.url = url
        self.detail = detail
        self.status = status
        self.retryable = retryable
