"""Alerts: the record, the article alert rule and the sink payload formats (plain functions, no Faust)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

AlertKind = Literal["article", "spike", "threshold"]
Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True)
class AlertArticle:
    id: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Alert:
    """One alert. ``id`` is stable for the same trigger, so it is the idempotency key end to end."""

    id: str
    kind: AlertKind
    rule: str
    severity: Severity
    category: str
    score: float
    region: str | None
    dyad: str | None
    window: dict[str, Any] | None
    articles: tuple[AlertArticle, ...]
    evidence: tuple[str, ...]
    created_at: str
    model_version: str | None = None
    actors: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["articles"] = [asdict(article) for article in self.articles]
        data["evidence"] = list(self.evidence)
        data["actors"] = list(self.actors)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            rule=str(data["rule"]),
            severity=data["severity"],
            category=str(data["category"]),
            score=float(data["score"]),
            region=data.get("region"),
            dyad=data.get("dyad"),
            window=data.get("window"),
            articles=tuple(AlertArticle(**article) for article in data.get("articles", [])),
            evidence=tuple(data.get("evidence", [])),
            created_at=str(data["created_at"]),
            model_version=data.get("model_version"),
            actors=tuple(data.get("actors", [])),
        )


def alert_id(*parts: str) -> str:
    """A stable id from the parts that identify a trigger (same trigger, same id)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"alert_{digest[:32]}"


def severity_for(score: float) -> Severity:
    if score >= 0.9:
        return "critical"
    if score >= 0.75:
        return "warning"
    return "info"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def article_alert(
    rule: str,
    category: str,
    record: Mapping[str, Any],
    region: str | None,
    severity: Severity | None = None,
    ts: float | None = None,
) -> Alert:
    """The alert of an article rule: the article, its score for ``category`` and the evidence terms."""
    score = float(record["scores"].get(category, 0.0))
    evidence: Mapping[str, Sequence[str]] = record.get("evidence") or {}
    dyads: Sequence[str] = record.get("dyads") or ()
    article = record.get("article") or {
        "id": record["id"],
        "title": record.get("title"),
        "url": record.get("url"),
    }
    return Alert(
        id=alert_id("article", rule, region or "", str(article["id"])),
        kind="article",
        rule=rule,
        severity=severity or severity_for(score),
        category=category,
        score=round(score, 4),
        region=region,
        dyad=dyads[0] if dyads else None,
        window=None,
        articles=(
            AlertArticle(id=str(article["id"]), title=article.get("title") or "", url=article.get("url")),
        ),
        evidence=tuple(evidence.get(category, ())),
        created_at=iso(ts) if ts is not None else iso(datetime.now(UTC).timestamp()),
        model_version=record.get("model_version"),
        actors=tuple(record.get("actors") or ()),
    )


def _headline(alert: Alert) -> str:
    where = alert.region or alert.dyad or "unlocated"
    return f"[{alert.severity.upper()}] {alert.category} ({alert.kind}) in {where}: score {alert.score:.2f}"


def render_payload(alert: Alert, sink: str) -> dict[str, Any]:
    """The JSON body for a sink format: generic ``json``, ``slack`` or ``alertmanager`` (v4 webhook)."""
    if sink == "json":
        return {"type": f"tension.alert.{alert.kind}", "timestamp": alert.created_at, "data": alert.to_dict()}
    if sink == "slack":
        lines = [f"*{_headline(alert)}*"]
        for article in alert.articles:
            lines.append(f"• <{article.url}|{article.title}>" if article.url else f"• {article.title}")
        if alert.evidence:
            lines.append("Evidence: " + ", ".join(alert.evidence))
        return {
            "text": "\n".join(lines),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
        }
    if sink == "alertmanager":
        labels = {
            "alertname": "TensionAlert",
            "kind": alert.kind,
            "severity": alert.severity,
            "category": alert.category,
            "region": alert.region or "",
            "dyad": alert.dyad or "",
        }
        return {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="TensionAlert", category="{alert.category}"}}',
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "tension-monitor",
            "groupLabels": {"alertname": "TensionAlert", "category": alert.category},
            "commonLabels": labels,
            "commonAnnotations": {"summary": _headline(alert)},
            "externalURL": "",
            "alerts": [
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": {
                        "summary": _headline(alert),
                        "articles": " | ".join(a.title for a in alert.articles),
                        "evidence": ", ".join(alert.evidence),
                        "score": f"{alert.score:.4f}",
                    },
                    "startsAt": alert.created_at,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "",
                    "fingerprint": alert.id.removeprefix("alert_")[:16],
                }
            ],
        }
    raise ValueError(f"unknown sink format {sink!r} (expected json, slack or alertmanager)")
