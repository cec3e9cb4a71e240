"""From scored articles to window signals and rule-based alerts: the decisions, without Faust or Kafka.

The worker fans each scored article out to one update per key it counts in (its regions and its top dyads),
keyed by that key so that one worker owns each key's windows; ``apply_update`` then folds the update into
the key's window states and decides the signals and alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.alerts import Alert, AlertArticle, alert_id, article_alert, iso
from streams.rules import ANY_CATEGORY, RuleSet, in_cooldown, matching_article_rules, matching_window_rules
from streams.windows import State, WindowStats, add, stats

UNLOCATED = "unlocated"


def scope_keys(record: Mapping[str, Any], dyads_per_article: int = 3) -> list[tuple[str, str]]:
    """(scope, key) pairs an article counts in: each region, its top dyads; ``unlocated`` if none."""
    keys = [("region", str(r)) for r in record.get("regions") or []]
    keys += [("dyad", str(d)) for d in (record.get("dyads") or [])[:dyads_per_article]]
    return keys or [("region", UNLOCATED)]


def is_scored_record(value: Any) -> bool:
    """A record as the classify agent writes it (anything else on the topic is skipped and counted)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("labels"), list)
        and isinstance(value.get("scores"), dict)
    )


def is_update(value: Any) -> bool:
    """An update as ``update_message`` writes it."""
    return (
        isinstance(value, dict)
        and value.get("scope") in ("region", "dyad")
        and isinstance(value.get("key"), str)
        and isinstance(value.get("ts"), int | float)
        and isinstance(value.get("article"), dict)
        and isinstance(value["article"].get("id"), str)
        and isinstance(value.get("labels"), list)
        and isinstance(value.get("evidence"), dict)
    )


def update_message(record: Mapping[str, Any], scope: str, key: str, ts: float) -> dict[str, Any]:
    return {
        "scope": scope,
        "key": key,
        "ts": ts,
        "article": {"id": record["id"], "title": record.get("title") or "", "url": record.get("url")},
        "labels": list(record.get("labels", [])),
        "scores": dict(record.get("scores", {})),
        "tension": float(record.get("tension", 0.0)),
        "evidence": dict(record.get("evidence") or {}),
        "dyads": list(record.get("dyads") or []),
        "actors": list(record.get("actors") or []),
        "model_version": record.get("model_version"),
    }


def scope_id(update: Mapping[str, Any]) -> str:
    return f"{update['scope']}:{update['key']}"


def state_key(scope_key: str, category: str, window: str) -> str:
    return f"{scope_key}|{category}|{window}"


def cooldown_key(rule: str, scope_key: str) -> str:
    return f"{rule}|{scope_key}"


@dataclass
class Outcome:
    """What one update changes and emits."""

    states: dict[str, State] = field(default_factory=dict)
    signals: list[dict[str, Any]] = field(default_factory=list)
    stats: list[tuple[str, WindowStats]] = field(default_factory=list)  # (category, stats)
    alerts: list[Alert] = field(default_factory=list)
    fired: dict[str, float] = field(default_factory=dict)
    suppressed: list[tuple[str, str]] = field(default_factory=list)  # (kind, category)


def window_alert(
    rule_name: str, kind: str, severity: str, category: str, update: Mapping[str, Any], st: WindowStats
) -> Alert:
    scope, key = update["scope"], update["key"]
    return Alert(
        id=alert_id("window", rule_name, scope_id(update), str(update["article"]["id"])),
        kind="spike" if kind == "spike" else "threshold",
        rule=rule_name,
        severity=severity,  # type: ignore[arg-type]
        category=category,
        score=round(st.max_tension, 4),
        region=key if scope == "region" else None,
        dyad=key if scope == "dyad" else None,
        window={k: v for k, v in st.to_dict().items() if k != "articles"},
        articles=tuple(
            AlertArticle(id=str(a["id"]), title=a.get("title") or "", url=a.get("url")) for a in st.articles
        ),
        evidence=st.evidence,
        created_at=iso(update["ts"]),
        model_version=update.get("model_version"),
        actors=tuple(update.get("actors") or ()),
    )


def apply_update(
    update: Mapping[str, Any],
    rules: RuleSet,
    get_state: Callable[[str], State | None],
    get_fired: Callable[[str], float | None],
) -> Outcome:
    """Fold one article update into its key's windows; decide the signals and the alerts."""
    out = Outcome()
    sid = scope_id(update)
    ts = float(update["ts"])
    fired: dict[str, float] = {}

    def cooled(rule: str, cooldown: float) -> bool:
        key = cooldown_key(rule, sid)
        last = fired.get(key, get_fired(key))
        if in_cooldown(last, ts, cooldown):
            return False
        fired[key] = ts
        return True

    categories = [*update["labels"], ANY_CATEGORY]
    for category in categories:
        if category == ANY_CATEGORY:
            evidence = [term for terms in update["evidence"].values() for term in terms]
        else:
            evidence = update["evidence"].get(category, [])
        for spec in rules.windows:
            skey = state_key(sid, category, spec.name)
            state = add(get_state(skey), spec, ts, update["tension"], update["article"], evidence)
            out.states[skey] = state
            st = stats(state, spec)
            out.stats.append((category, st))
            out.signals.append(
                {"scope": update["scope"], "key": update["key"], "category": category, **st.to_dict()}
            )
            for rule in matching_window_rules(rules.window_rules, update["scope"], category, st):
                if cooled(rule.name, rule.cooldown):
                    kind = "spike" if rule.min_zscore is not None else "threshold"
                    out.alerts.append(
                        window_alert(rule.name, kind, rule.severity or "warning", category, update, st)
                    )
                else:
                    out.suppressed.append(("window", category))
    if update["scope"] == "region":
        region = None if update["key"] == UNLOCATED else update["key"]
        for article_rule in matching_article_rules(rules.article_rules, update, region):
            if cooled(article_rule.name, article_rule.cooldown):
                out.alerts.append(
                    article_alert(
                        article_rule.name, article_rule.category, update, region, article_rule.severity, ts
                    )
                )
            else:
                out.suppressed.append(("article", article_rule.category))
    out.fired = fired
    return out
