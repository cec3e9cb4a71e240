from __future__ import annotations

from typing import Any

import pytest

from streams.alerts import Alert, article_alerts, render_payload, severity_for


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


def test_one_alert_per_label_over_its_minimum() -> None:
    alerts = article_alerts(scored(), {"missile_nuclear": 0.6}, 0.5)
    assert [a.category for a in alerts] == ["dmz_incident"]
    alert = alerts[0]
    assert alert.kind == "article"
    assert alert.severity == "critical"
    assert alert.region == "korean_peninsula"
    assert alert.dyad == "KOR-PRK"
    assert alert.evidence == ("warning shots", "border")
    assert alert.articles[0].url == "https://example.org/1"


def test_lower_minimum_gives_both() -> None:
    alerts = article_alerts(scored(), {}, 0.5)
    assert {a.category for a in alerts} == {"dmz_incident", "missile_nuclear"}
    assert len({a.id for a in alerts}) == 2


def test_alert_id_is_stable_and_specific() -> None:
    first = article_alerts(scored(), {}, 0.5)[0]
    again = article_alerts(scored(), {}, 0.5)[0]
    other = article_alerts(scored(id="art-2"), {}, 0.5)[0]
    assert first.id == again.id
    assert first.id != other.id


def test_unlabelled_article_gives_no_alert() -> None:
    assert article_alerts(scored(labels=[]), {}, 0.0) == []


def test_round_trip() -> None:
    alert = article_alerts(scored(), {}, 0.5)[0]
    assert Alert.from_dict(alert.to_dict()) == alert


@pytest.mark.parametrize(("score", "severity"), [(0.95, "critical"), (0.8, "warning"), (0.6, "info")])
def test_severity(score: float, severity: str) -> None:
    assert severity_for(score) == severity


def test_payload_formats() -> None:
    alert = article_alerts(scored(), {}, 0.5)[0]
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
