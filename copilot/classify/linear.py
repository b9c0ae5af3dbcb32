"""A calibrated linear model reduced to numpy arrays, so one reply scores in microseconds, not milliseconds.

scikit-learn's CalibratedClassifierCV validates its input on every call, which costs more than the
arithmetic for a single reply. `LinearHead` keeps exactly its maths (per fold: decision function,
per-class sigmoid, normalisation; then the mean over folds) and nothing else.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV


@dataclass
class LinearHead:
    weights: np.ndarray  # (folds * outputs) x features
    bias: np.ndarray  # folds * outputs
    slope: np.ndarray  # folds x outputs: the sigmoid calibrators' a
    offset: np.ndarray  # folds x outputs: the sigmoid calibrators' b
    classes: list
    binary: bool

    def __post_init__(self) -> None:
        # features x outputs, row-major: one reply's columns are then contiguous rows to gather
        self.by_feature = np.ascontiguousarray(self.weights.T)

    @classmethod
    def from_calibrated(cls, model: CalibratedClassifierCV) -> "LinearHead":
        """Copy the fitted folds of a sigmoid-calibrated linear model."""
        weights, bias, slope, offset = [], [], [], []
        for fold in model.calibrated_classifiers_:
            weights.append(np.atleast_2d(fold.estimator.coef_))
            bias.append(np.atleast_1d(fold.estimator.intercept_))
            slope.append([c.a_ for c in fold.calibrators])
            offset.append([c.b_ for c in fold.calibrators])
        return cls(
            np.vstack(weights), np.concatenate(bias), np.array(slope), np.array(offset),
            list(model.classes_), len(model.classes_) == 2,
        )  # fmt: skip

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities for each row of the sparse feature matrix X, as scikit-learn computes them."""
        return self._calibrate(np.asarray(X @ self.weights.T) + self.bias)

    def predict_row(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Class probabilities for one row given as column indices and values (no sparse matrix built)."""
        return self._calibrate((vals @ self.by_feature[cols] + self.bias)[np.newaxis, :])[0]

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        """Probabilities from one row's raw decision values (as laid out in `by_feature`)."""
        return self._calibrate(decision[np.newaxis, :])[0]

    def _calibrate(self, decision: np.ndarray) -> np.ndarray:
        folds = self.slope.shape[0]
        decision = decision.reshape(decision.shape[0], folds, -1)  # rows x folds x outputs
        calibrated = 1.0 / (1.0 + np.exp(self.slope * decision + self.offset))
        if self.binary:
            proba = np.concatenate([1.0 - calibrated, calibrated], axis=2)
        else:
            total = calibrated.sum(axis=2, keepdims=True)
            uniform = np.full_like(calibrated, 1.0 / calibrated.shape[2])
            proba = np.divide(calibrated, total, out=uniform, where=total != 0)
        return proba.mean(axis=1)


def stack(heads: list[LinearHead]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Several heads over the same features side by side, so one gather and one product serve them all."""
    weights = np.ascontiguousarray(np.hstack([h.by_feature for h in heads]))
    bias = np.concatenate([h.bias for h in heads])
    splits = list(np.cumsum([h.bias.shape[0] for h in heads])[:-1])
    return weights, bias, splits
