from __future__ import annotations

from typing import Any

import pytest

from streams.alerts import Alert, article_alert, render_payload, severity_for


def scored(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "art-1",
        "title": "Warning shots at the border",
        "url": "https://example.org/1",
        "labels": ["dmz_incident", "missile_nuclear"],
        "scores": {"dmz_incident": 0.93, "missile_nuclear": 0.55, "weapons_transfer": 0.1},
        "regions": ["korean_peninsula"],
        "dyads": ["KOR-PRK"],
        "actors": ["PRK", "KOR"],
        "evidence": {"dmz_incident": ["warning shots", "border"]},
        "model_version": "m1",
    }
    record.update(overrides)
    return record


def test_article_alert_carries_article_score_and_evidence() -> None:
    alert = article_alert("dmz-article", "dmz_incident", scored(), "korean_peninsula", ts=1_800_000_000)
    assert alert.kind == "article"
    assert alert.rule == "dmz-article"
    assert alert.score == 0.93
    assert alert.severity == "critical"
    assert alert.region == "korean_peninsula"
    assert alert.dyad == "KOR-PRK"
    assert alert.evidence == ("warning shots", "border")
    assert alert.articles[0].url == "https://example.org/1"
    assert alert.created_at == "2027-01-15T08:00:00Z"


def test_explicit_severity_wins() -> None:
    assert article_alert("r", "missile_nuclear", scored(), None, severity="critical").severity == "critical"
    assert article_alert("r", "missile_nuclear", scored(), None).severity == "info"


def test_alert_id_is_stable_and_specific() -> None:
    first = article_alert("r", "dmz_incident", scored(), "korean_peninsula")
    again = article_alert("r", "dmz_incident", scored(), "korean_peninsula")
    other_article = article_alert("r", "dmz_incident", scored(id="art-2"), "korean_peninsula")
    other_rule = article_alert("r2", "dmz_incident", scored(), "korean_peninsula")
    assert first.id == again.id
    assert len({first.id, other_article.id, other_rule.id}) == 3


def test_round_trip() -> None:
    alert = article_alert("r", "dmz_incident", scored(), "korean_peninsula")
    assert Alert.from_dict(alert.to_dict()) == alert


@pytest.mark.parametrize(("score", "severity"), [(0.95, "critical"), (0.8, "warning"), (0.6, "info")])
def test_severity(score: float, severity: str) -> None:
    assert severity_for(score) == severity


def test_payload_formats() -> None:
    alert = article_alert("r", "dmz_incident", scored(), "korean_peninsula")
    generic = render_payload(alert, "json")
    assert generic["type"] == "tension.alert.article"
    assert generic["data"]["id"] == alert.id
    slack = render_payload(alert, "slack")
    assert "dmz_incident" in slack["text"] and "https://example.org/1" in slack["text"]
    am = render_payload(alert, "alertmanager")
    assert am["version"] == "4"
    assert am["status"] == "firing"
    assert am["alerts"][0]["labels"]["category"] == "dmz_incident"
    assert am["alerts"][0]["labels"]["severity"] == "critical"
    with pytest.raises(ValueError, match="unknown sink"):
        render_payload(alert, "xml")
