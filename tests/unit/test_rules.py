from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import ConfigError
from streams.rules import (
    DEFAULT_RULES_PATH,
    in_cooldown,
    load_rules,
    matching_article_rules,
    matching_window_rules,
    parse_duration,
)
from streams.windows import WindowStats

CATEGORIES = ("dmz_incident", "weapons_transfer", "military_cooperation", "missile_nuclear")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_default_rules_load() -> None:
    rules = load_rules(DEFAULT_RULES_PATH, CATEGORIES)
    assert {w.name for w in rules.windows} == {"1h", "24h"}
    assert rules.article_rules and rules.window_rules
    assert all(r.category in CATEGORIES for r in rules.article_rules)


@pytest.mark.parametrize(
    ("value", "seconds"), [(90, 90), ("90s", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400)]
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules: [{name: a, kind: article, category: dmz_incident, min_score: 1.5}]",
            "rule #1 (a): min_score",
        ),
        ("rules: [{name: a, kind: article, category: nope, min_score: 0.5}]", "unknown category 'nope'"),
        (
            "rules: [{name: w, kind: window, scope: region, category: '*', window: 2h, min_count: 3}]",
            "unknown window '2h'",
        ),
        ("rules: [{name: a, kind: article, category: dmz_incident, min_score: 0.5, colour: red}]", "colour"),
        ("rules: [{name: a, kind: siren, category: dmz_incident}]", "rule #1 (a)"),
        (
            "rules: [{name: a, kind: article, category: dmz_incident, min_score: 0.5, cooldown: soon}]",
            "not a duration",
        ),
        (
            "rules:\n  - {name: a, kind: article, category: dmz_incident, min_score: 0.5}\n"
            "  - {name: a, kind: article, category: missile_nuclear, min_score: 0.5}",
            "duplicate rule name",
        ),
        ("windows: [{name: x, size: 1h, step: 7m}]\nrules: []", "must divide"),
        ("rules: [1, 2", "not valid YAML"),
        ("- just a list", "mapping"),
    ],
)
def test_invalid_rule_files_are_explained(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_rules(path, CATEGORIES)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "absent.yaml")


def test_article_rule_matching(tmp_path: Path) -> None:
    rules = load_rules(
        write(
            tmp_path,
            "rules:\n"
            "  - {name: any, kind: article, category: dmz_incident, min_score: 0.5}\n"
            "  - {name: kp, kind: article, category: dmz_incident, min_score: 0.5,\n"
            "     region: korean_peninsula}\n"
            "  - {name: high, kind: article, category: dmz_incident, min_score: 0.95}\n",
        ),
        CATEGORIES,
    )
    record = {"labels": ["dmz_incident"], "scores": {"dmz_incident": 0.9}}
    assert [r.name for r in matching_article_rules(rules.article_rules, record, "korean_peninsula")] == [
        "any",
        "kp",
    ]
    assert [r.name for r in matching_article_rules(rules.article_rules, record, "europe")] == ["any"]
    assert (
        matching_article_rules(rules.article_rules, {"labels": [], "scores": {"dmz_incident": 0.9}}, None)
        == []
    )


def stats_of(count: int, zscore: float, window: str = "1h") -> WindowStats:
    return WindowStats(window, 0, 3600, count, 0.5, 0.9, 0.0, 1.0, zscore, (), ())


def test_window_rule_matching() -> None:
    rules = load_rules(DEFAULT_RULES_PATH, CATEGORIES)
    surge = [
        r.name for r in matching_window_rules(rules.window_rules, "region", "dmz_incident", stats_of(12, 12))
    ]
    assert surge == ["dmz-incident-surge"]
    assert matching_window_rules(rules.window_rules, "region", "dmz_incident", stats_of(4, 12)) == []
    assert matching_window_rules(rules.window_rules, "region", "dmz_incident", stats_of(12, 1)) == []
    assert matching_window_rules(rules.window_rules, "dyad", "dmz_incident", stats_of(12, 12)) == []


def test_cooldown() -> None:
    assert not in_cooldown(None, 100, 60)
    assert in_cooldown(50, 100, 60)
    assert not in_cooldown(40, 100, 60)
