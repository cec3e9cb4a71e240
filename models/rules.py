"""Label rules: frames that ../shared/LABELS.md itself names as enough for a category.

A rule is an ``x:<frame>`` feature and a category (:data:`models.lexicon.LABEL_RULES`). Where the frame
fires in a text, the category's probability is raised to at least the rule's *floor*: the rule's precision
on the hand-labelled training texts, smoothed ((positives + 1) / (texts + 2)). The floor is measured, not
set by hand, so a rule that turns out imprecise raises scores only a little and a precise one lifts the
category above its threshold. Why a rule and not only a feature: a linear model spreads the weight of a
rare, exact frame over the correlated word and pair features and lets unrelated words ("killed", "near")
outweigh it in a short note; LABELS.md says one concrete sentence is enough ("North Korean soldiers in
Kursk").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["MIN_RULE_SUPPORT", "RuleSet", "fit_rules"]

#: Fewest hand-labelled texts a frame must fire in before its precision is trusted as a floor.
MIN_RULE_SUPPORT = 10


def fit_rules(
    X: sp.csr_matrix,
    Y: np.ndarray,
    feature_names: Sequence[str],
    categories: Sequence[str],
    rules: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Measure each rule (frame name -> category) on the labelled rows ``X``/``Y`` (``Y`` 1/0/-1).

    Returns ``{"x:<frame>": {"category", "floor", "support", "positives"}}`` for the rules whose frame is
    a feature of the model and fires in at least :data:`MIN_RULE_SUPPORT` rows with a known label.
    """
    index = {str(n): i for i, n in enumerate(feature_names)}
    X = sp.csc_matrix(X)
    Y = np.asarray(Y)
    out: dict[str, dict[str, Any]] = {}
    for frame, category in rules.items():
        name = f"x:{frame}"
        if name not in index or category not in categories:
            continue
        j = list(categories).index(category)
        col = X[:, index[name]].toarray().ravel() > 0
        known = col & (Y[:, j] >= 0)
        support = int(known.sum())
        if support < MIN_RULE_SUPPORT:
            continue
        positives = int(np.sum(Y[known, j] == 1))
        out[name] = {
            "category": category,
            "floor": round((positives + 1) / (support + 2), 4),
            "support": support,
            "positives": positives,
        }
    return out


class RuleSet:
    """Fitted rules bound to a feature vocabulary and category order; raises probabilities to floors."""

    def __init__(
        self,
        rules: Mapping[str, Mapping[str, Any]],
        vocabulary: Mapping[str, int],
        categories: Sequence[str],
    ) -> None:
        cats = list(categories)
        self.columns: list[int] = []
        self.targets: list[int] = []
        self.floors: list[float] = []
        self.names: list[str] = []
        for name, rule in rules.items():
            if name not in vocabulary:
                raise ValueError(f"rule {name!r}: not a feature of the model")
            category = rule.get("category")
            if category not in cats:
                raise ValueError(f"rule {name!r}: unknown category {category!r}")
            floor = rule.get("floor")
            if not isinstance(floor, int | float) or isinstance(floor, bool) or not 0 <= floor <= 1:
                raise ValueError(f"rule {name!r}: floor must be a number in [0, 1]")
            self.columns.append(int(vocabulary[name]))
            self.targets.append(cats.index(str(category)))
            self.floors.append(float(floor))
            self.names.append(name)

    def __len__(self) -> int:
        return len(self.columns)

    def apply(self, proba: np.ndarray, X: sp.csr_matrix) -> tuple[np.ndarray, dict[tuple[int, int], str]]:
        """``proba`` with every firing rule's category raised to its floor (a new array), and which rule
        raised which (row, category) cell."""
        if not self.columns:
            return proba, {}
        out = np.array(proba, copy=True)
        raised: dict[tuple[int, int], str] = {}
        fired = sp.csc_matrix(X)[:, self.columns]
        for r, (j, floor, name) in enumerate(zip(self.targets, self.floors, self.names, strict=True)):
            rows = fired[:, r].nonzero()[0]
            for i in rows:
                if out[i, j] < floor:
                    out[i, j] = floor
                    raised[(int(i), j)] = name
        return out, raised
