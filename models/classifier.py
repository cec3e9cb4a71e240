"""Multi-label linear classifier with Platt calibration fitted on out-of-fold scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted

__all__ = ["UNKNOWN_LABEL", "CalibratedMultiLabel"]

#: Value in the label matrix for "not known for this category" (the row is skipped for it).
UNKNOWN_LABEL = -1


def _platt(scores: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Fit p = 1 / (1 + exp(-(a * s + b))) on (score, label) pairs; falls back to (1, 0)."""
    if len(np.unique(y)) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=100.0, solver="lbfgs", max_iter=1000)
    lr.fit(scores.reshape(-1, 1), y, sample_weight=w)
    a = float(lr.coef_[0, 0])
    if a <= 0:  # a calibration that reverses the ranking is worse than none
        return 1.0, 0.0
    return a, float(lr.intercept_[0])


class CalibratedMultiLabel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """One L2 logistic regression per category on a shared sparse matrix, Platt-calibrated.

    ``fit(X, Y, sample_weight=None, calib_weight=None, groups=None)``:

    * ``Y`` is an (n, k) integer matrix of 1 / 0 / ``UNKNOWN_LABEL``; rows unknown for a category are
      left out of that category's fit (weak labels may abstain per category).
    * Platt scaling is fitted on out-of-fold decision scores (``n_folds`` folds, grouped by ``groups`` so
      near-duplicates stay together) of the rows with ``calib_weight > 0`` only: the hand-checked rows,
      so the probabilities are calibrated against gold labels rather than against weak rules.

    ``predict_proba`` returns an (n, k) matrix of calibrated probabilities, one column per category.
    """

    def __init__(
        self,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        n_folds: int = 5,
        max_iter: int = 3000,
        random_state: int = 13,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.n_folds = n_folds
        self.max_iter = max_iter
        self.random_state = random_state

    def _new_lr(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            solver="liblinear",
            max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def _fit_one(self, X: sp.csr_matrix, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
        if len(np.unique(y)) < 2:
            coef = np.zeros(X.shape[1])
            return coef, (10.0 if y.size and y[0] == 1 else -10.0)
        lr = self._new_lr()
        lr.fit(X, y, sample_weight=w)
        return lr.coef_[0].astype(np.float64), float(lr.intercept_[0])

    def fit(
        self,
        X: Any,
        Y: Any,
        sample_weight: Any = None,
        calib_weight: Any = None,
        groups: Any = None,
    ) -> CalibratedMultiLabel:
        X = sp.csr_matrix(X)
        Y = np.asarray(Y, dtype=np.int64)
        if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
            raise ValueError("Y must be an (n_samples, n_categories) matrix")
        n, k = Y.shape
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        cw = np.ones(n) if calib_weight is None else np.asarray(calib_weight, dtype=np.float64)
        g = np.arange(n) if groups is None else np.asarray(groups)
        self.coef_ = np.zeros((k, X.shape[1]))
        self.intercept_ = np.zeros(k)
        self.platt_a_ = np.ones(k)
        self.platt_b_ = np.zeros(k)
        self.oof_decision_ = np.full((n, k), np.nan)
        n_splits = max(2, min(self.n_folds, len(np.unique(g))))
        folds = list(GroupKFold(n_splits=n_splits).split(np.zeros(n), groups=g))
        for j in range(k):
            known = Y[:, j] != UNKNOWN_LABEL
            y = (Y[:, j] == 1).astype(np.int64)
            for train_idx, test_idx in folds:
                tr = train_idx[known[train_idx]]
                te = test_idx[known[test_idx] & (cw[test_idx] > 0)]
                if te.size == 0:
                    continue
                coef, icpt = self._fit_one(X[tr], y[tr], w[tr])
                self.oof_decision_[te, j] = X[te] @ coef + icpt
            calib = known & (cw > 0) & ~np.isnan(self.oof_decision_[:, j])
            a, b = _platt(self.oof_decision_[calib, j], y[calib], cw[calib])
            self.platt_a_[j], self.platt_b_[j] = a, b
            self.coef_[j], self.intercept_[j] = self._fit_one(X[known], y[known], w[known])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = sp.csr_matrix(X)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        """Map raw decision scores (n, k) to calibrated probabilities."""
        z = decision * self.platt_a_ + self.platt_b_
        proba: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))
        return proba

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.calibrate(self.decision_function(X))

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X) >= 0.5).astype(np.int64)
