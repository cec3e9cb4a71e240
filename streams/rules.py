"""Alert rules: a documented YAML file, validated at start-up, and the decisions as plain functions.

See ``streams/rules/default.yaml`` for the format. Two kinds of rule:

- ``article``: an article whose score for ``category`` reaches ``min_score`` (optionally only in ``region``).
- ``window``: a region's or dyad's window (``1h``, ``24h``, ...) whose article count for ``category`` reaches
  ``min_count`` and whose z-score against its baseline reaches ``min_zscore``.

Either kind fires at most once per rule and key (region or dyad) per ``cooldown``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.errors import ConfigError
from streams.windows import DEFAULT_WINDOWS, WindowSpec, WindowStats

DEFAULT_RULES_PATH = Path(__file__).parent / "rules" / "default.yaml"
ANY_CATEGORY = "*"
Severity = Literal["info", "warning", "critical"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"30m"``, ``"6h"``, ``"1d"`` -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90, '90s', '30m', '6h', '1d')")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {value!r}")
    return seconds


Duration = Annotated[float, Field(ge=0)]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    category: str
    severity: Severity | None = None
    cooldown: Duration = 0.0

    @field_validator("cooldown", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)


class ArticleRule(_Rule):
    kind: Literal["article"]
    min_score: float = Field(ge=0.0, le=1.0)
    region: str | None = None


class WindowRule(_Rule):
    kind: Literal["window"]
    scope: Literal["region", "dyad"]
    window: str
    min_count: int = Field(ge=1)
    min_zscore: float | None = None


Rule = Annotated[ArticleRule | WindowRule, Field(discriminator="kind")]


class WindowConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    size: float
    step: float
    baseline_windows: int = Field(default=24, ge=1)

    @field_validator("size", "step", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)

    @model_validator(mode="after")
    def _step_divides(self) -> WindowConfig:
        if self.step <= 0 or self.size <= 0:
            raise ValueError("size and step must be positive")
        if self.size % self.step:
            raise ValueError(f"step ({self.step:g} s) must divide size ({self.size:g} s)")
        return self

    def spec(self) -> WindowSpec:
        return WindowSpec(self.name, self.size, self.step, self.baseline_windows)


class RuleFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    windows: list[WindowConfig] = Field(default_factory=list)
    rules: list[Rule]


class RuleSet:
    """The validated rules and windows."""

    def __init__(self, rules: Sequence[ArticleRule | WindowRule], windows: Sequence[WindowSpec]) -> None:
        self.rules = tuple(rules)
        self.windows = tuple(windows)
        self.article_rules = tuple(r for r in rules if isinstance(r, ArticleRule))
        self.window_rules = tuple(r for r in rules if isinstance(r, WindowRule))

    def window(self, name: str) -> WindowSpec:
        for spec in self.windows:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _location(data: Any, loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        name = None
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            name = rules[loc[1]].get("name")
        rest = ".".join(str(p) for p in loc[2:] if p not in ("article", "window"))
        label = f"rule #{loc[1] + 1}" + (f" ({name})" if name else "")
        return f"{label}{': ' + rest if rest else ''}"
    return ".".join(str(p) for p in loc) or "(file)"


def load_rules(path: Path | str | None = None, categories: Iterable[str] | None = None) -> RuleSet:
    """Read and validate a rule file; raise ConfigError naming the file, the rule and the field."""
    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(source, f"cannot read the rule file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(source, "the rule file must be a mapping with a 'rules' list")
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_location(data, tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(source, "invalid rules:\n  " + "\n  ".join(problems)) from None
    windows = [w.spec() for w in parsed.windows] or list(DEFAULT_WINDOWS)
    return validate_rules(source, parsed.rules, windows, categories)


def validate_rules(
    source: str,
    rules: Sequence[ArticleRule | WindowRule],
    windows: Sequence[WindowSpec],
    categories: Iterable[str] | None = None,
) -> RuleSet:
    problems: list[str] = []
    names = [w.name for w in windows]
    if len(set(names)) != len(names):
        problems.append(f"windows: duplicate window names in {names}")
    known = set(categories) if categories is not None else None
    seen: set[str] = set()
    for index, rule in enumerate(rules, start=1):
        where = f"rule #{index} ({rule.name})"
        if rule.name in seen:
            problems.append(f"{where}: duplicate rule name")
        seen.add(rule.name)
        if known is not None and rule.category != ANY_CATEGORY and rule.category not in known:
            problems.append(f"{where}: unknown category {rule.category!r} (the model has {sorted(known)})")
        if isinstance(rule, WindowRule) and rule.window not in names:
            problems.append(f"{where}: unknown window {rule.window!r} (defined: {names})")
        if isinstance(rule, ArticleRule) and rule.category == ANY_CATEGORY:
            problems.append(f"{where}: an article rule needs one category, not '*'")
    if problems:
        raise ConfigError(source, "invalid rules:\n  " + "\n  ".join(problems))
    return RuleSet(rules, windows)


def in_cooldown(last_fired: float | None, now: float, cooldown: float) -> bool:
    return last_fired is not None and now - last_fired < cooldown


def matching_article_rules(
    rules: Iterable[ArticleRule], record: Mapping[str, Any], region: str | None
) -> list[ArticleRule]:
    """Article rules that this scored article triggers, for the region it is being counted in."""
    scores: Mapping[str, float] = record.get("scores", {})
    labels = set(record.get("labels", []))
    out = []
    for rule in rules:
        if rule.category not in labels or scores.get(rule.category, 0.0) < rule.min_score:
            continue
        if rule.region is not None and rule.region != region:
            continue
        out.append(rule)
    return out


def matching_window_rules(
    rules: Iterable[WindowRule], scope: str, category: str, stats: WindowStats
) -> list[WindowRule]:
    """Window rules that these window statistics trigger."""
    out = []
    for rule in rules:
        if rule.scope != scope or rule.window != stats.window or rule.category != category:
            continue
        if stats.count < rule.min_count:
            continue
        if rule.min_zscore is not None and stats.zscore < rule.min_zscore:
            continue
        out.append(rule)
    return out
