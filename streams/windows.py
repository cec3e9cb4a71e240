"""Windowed aggregation as plain functions over JSON-able state (stored in a changelog-backed Faust table).

A window spec is a hopping window: ``size`` seconds, advancing every ``step`` seconds. Each key's state keeps
per-step buckets (count, tension sum, tension max) for the last ``size`` seconds, the most recent article
references, and a baseline: an exponentially weighted mean and variance of the window count, sampled at
every step boundary. The z-score compares the current window count with that baseline. Time is event time
(the article's Kafka timestamp), so replaying the same articles gives the same state.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

State = dict[str, Any]

#: The smallest standard deviation used in z-scores: a first burst of N articles scores z = N at most,
#: instead of infinity over an empty baseline.
MIN_STD = 1.0
RECENT = 5


@dataclass(frozen=True)
class WindowSpec:
    name: str
    size: float  # seconds
    step: float  # seconds
    baseline_windows: int = 24  # the EWMA spans about this many window lengths

    @property
    def steps(self) -> int:
        return max(1, round(self.size / self.step))

    @property
    def alpha(self) -> float:
        return 2.0 / (self.steps * self.baseline_windows + 1.0)


DEFAULT_WINDOWS = (WindowSpec("1h", 3600, 300), WindowSpec("24h", 86400, 3600, baseline_windows=7))


@dataclass(frozen=True)
class WindowStats:
    window: str
    start: float
    end: float
    count: int
    mean_tension: float
    max_tension: float
    baseline_mean: float
    baseline_std: float
    zscore: float
    articles: tuple[dict[str, Any], ...]
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "start": self.start,
            "end": self.end,
            "count": self.count,
            "mean_tension": round(self.mean_tension, 4),
            "max_tension": round(self.max_tension, 4),
            "baseline_mean": round(self.baseline_mean, 4),
            "baseline_std": round(self.baseline_std, 4),
            "zscore": round(self.zscore, 3),
            "articles": list(self.articles),
        }


def new_state() -> State:
    return {"buckets": {}, "mean": 0.0, "var": 0.0, "through": None, "latest": None, "recent": []}


def _bucket(ts: float, spec: WindowSpec) -> float:
    return float(math.floor(ts / spec.step) * spec.step)


def _window_count(buckets: dict[str, list[float]], end: float, spec: WindowSpec) -> int:
    """Articles in the window ending at ``end`` (exclusive): buckets in [end - size, end)."""
    start = end - spec.size
    return int(sum(b[0] for k, b in buckets.items() if start <= float(k) < end))


def _advance(state: State, spec: WindowSpec, bucket: float) -> None:
    """Fold the window counts at every step boundary up to ``bucket`` into the baseline."""
    through = state["through"]
    if through is None:
        state["through"] = bucket
        return
    boundaries = round((bucket - through) / spec.step)
    if boundaries <= 0:
        return
    alpha = spec.alpha
    folded = min(boundaries, 2 * spec.steps)  # after two window lengths, the count is zero anyway
    for i in range(1, folded + 1):
        x = _window_count(state["buckets"], through + i * spec.step, spec)
        diff = x - state["mean"]
        state["mean"] += alpha * diff
        state["var"] = (1 - alpha) * (state["var"] + alpha * diff * diff)
    zeros = boundaries - folded
    if zeros > 0:  # closed form for a run of empty windows
        decay = (1 - alpha) ** zeros
        state["mean"] *= decay
        state["var"] *= decay
    state["through"] = bucket


def _prune(state: State, spec: WindowSpec, now_bucket: float) -> None:
    oldest = now_bucket - spec.size
    state["buckets"] = {k: v for k, v in state["buckets"].items() if float(k) >= oldest}


def add(
    state: State | None,
    spec: WindowSpec,
    ts: float,
    tension: float,
    article: dict[str, Any] | None = None,
    evidence: Sequence[str] = (),
) -> State:
    """A new state with one article (at event time ``ts``) added. The input state is not modified."""
    out: State = (
        new_state()
        if state is None
        else {
            **state,
            "buckets": {k: list(v) for k, v in state["buckets"].items()},
            "recent": list(state["recent"]),
        }
    )
    bucket = _bucket(ts, spec)
    latest = out["latest"] if out["latest"] is not None else ts
    if ts < latest - spec.size:
        return out  # too late for any open window: ignored (the baseline has moved on)
    latest_bucket = _bucket(max(latest, ts), spec)
    _advance(out, spec, latest_bucket)
    key = str(int(bucket)) if bucket.is_integer() else str(bucket)
    cell = out["buckets"].setdefault(key, [0, 0.0, 0.0])
    cell[0] += 1
    cell[1] += tension
    cell[2] = max(cell[2], tension)
    out["latest"] = max(latest, ts)
    _prune(out, spec, latest_bucket)
    if article is not None:
        out["recent"] = ([{**article, "evidence": list(evidence)[:5]}] + out["recent"])[:RECENT]
    return out


def stats(state: State, spec: WindowSpec, now: float | None = None) -> WindowStats:
    """The window ending at ``now`` (default: the latest event) and its z-score against the baseline."""
    now = state["latest"] if now is None else max(now, state["latest"] or now)
    end = _bucket(now, spec) + spec.step
    start = end - spec.size
    cells = [v for k, v in state["buckets"].items() if start <= float(k) < end]
    count = int(sum(c[0] for c in cells))
    total = sum(c[1] for c in cells)
    peak = max((c[2] for c in cells), default=0.0)
    mean, var = state["mean"], state["var"]
    std = math.sqrt(max(var, 0.0))
    zscore = (count - mean) / max(std, MIN_STD)
    recent = tuple({k: v for k, v in a.items() if k != "evidence"} for a in state["recent"] if a)
    terms = Counter(t for a in state["recent"] for t in a.get("evidence", []))
    return WindowStats(
        window=spec.name,
        start=start,
        end=end,
        count=count,
        mean_tension=total / count if count else 0.0,
        max_tension=peak,
        baseline_mean=mean,
        baseline_std=std,
        zscore=zscore,
        articles=recent,
        evidence=tuple(t for t, _ in terms.most_common(5)),
    )
