from __future__ import annotations

from typing import Any

from streams.aggregate import UNLOCATED, apply_update, scope_keys, update_message
from streams.rules import DEFAULT_RULES_PATH, load_rules

CATEGORIES = ("dmz_incident", "weapons_transfer", "military_cooperation", "missile_nuclear")
RULES = load_rules(DEFAULT_RULES_PATH, CATEGORIES)
T0 = 1_800_000_000.0


def record(i: int, labels: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    labels = ["dmz_incident"] if labels is None else labels
    base: dict[str, Any] = {
        "id": f"art-{i}",
        "title": f"Border incident {i}",
        "url": f"https://example.org/{i}",
        "labels": labels,
        "scores": {c: (0.95 if c in labels else 0.02) for c in CATEGORIES},
        "tension": 0.95 if labels else 0.02,
        "evidence": {c: ["warning shots"] for c in labels},
        "regions": ["korean_peninsula"],
        "dyads": ["KOR-PRK"],
        "actors": ["PRK", "KOR"],
        "model_version": "m",
    }
    base.update(extra)
    return base


class Store:
    """Table stand-in for the plain-function tests: a dict with the tables' get()."""

    def __init__(self) -> None:
        self.states: dict[str, Any] = {}
        self.fired: dict[str, float] = {}

    def apply(self, rec: dict[str, Any], scope: str, key: str, ts: float):
        outcome = apply_update(update_message(rec, scope, key, ts), RULES, self.states.get, self.fired.get)
        self.states.update(outcome.states)
        self.fired.update(outcome.fired)
        return outcome


def test_scope_keys() -> None:
    rec = record(1, dyads=["KOR-PRK", "PRK-RUS", "PRK-USA", "KOR-USA"])
    assert scope_keys(rec, 2) == [("region", "korean_peninsula"), ("dyad", "KOR-PRK"), ("dyad", "PRK-RUS")]
    assert scope_keys(record(2, regions=[], dyads=[])) == [("region", UNLOCATED)]


def test_burst_gives_one_window_alert_and_one_article_alert_per_cooldown() -> None:
    store = Store()
    alerts = []
    for i in range(12):
        alerts += store.apply(record(i), "region", "korean_peninsula", T0 + 20 * i).alerts
    window = [a for a in alerts if a.rule == "dmz-incident-surge"]
    article = [a for a in alerts if a.rule == "dmz-incident-article"]
    assert len(window) == 1 and window[0].kind == "spike"
    assert window[0].region == "korean_peninsula" and window[0].window is not None
    assert window[0].window["count"] == 5  # fired when the fifth report arrived
    assert [a.id for a in window[0].articles][:2] == ["art-4", "art-3"]
    assert len(article) == 1 and article[0].articles[0].id == "art-0"
    # after the cooldown the article rule may fire again
    later = store.apply(record(99), "region", "korean_peninsula", T0 + 3 * 3600).alerts
    assert [a.rule for a in later] == ["dmz-incident-article"]


def test_signals_cover_every_label_and_all_articles() -> None:
    outcome = Store().apply(record(1, ["dmz_incident", "missile_nuclear"]), "dyad", "KOR-PRK", T0)
    keys = {(s["category"], s["window"]) for s in outcome.signals}
    assert keys == {(c, w) for c in ("dmz_incident", "missile_nuclear", "*") for w in ("1h", "24h")}
    assert all(s["count"] == 1 and s["scope"] == "dyad" for s in outcome.signals)
    assert not outcome.alerts  # article rules count per region, not per dyad


def test_same_inputs_same_alert_ids() -> None:
    first = [
        a.id for i in range(6) for a in Store().apply(record(i), "region", "korean_peninsula", T0).alerts
    ]
    second = [
        a.id for i in range(6) for a in Store().apply(record(i), "region", "korean_peninsula", T0).alerts
    ]
    assert first == second


def test_background_articles_count_only_in_all() -> None:
    outcome = Store().apply(record(1, []), "region", "korean_peninsula", T0)
    assert {s["category"] for s in outcome.signals} == {"*"}
    assert outcome.alerts == []
