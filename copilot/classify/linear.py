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


class FusedViews:
    """The label and frustrated heads of every view fused, so a reply costs one small product per view and one
    sigmoid instead of a dozen small numpy calls.

    Each view keeps one weight block holding its label and frustrated heads side by side; the outputs are laid
    out label heads first, view by view, then frustrated heads. The result equals averaging each head's
    `predict_row` over the views.
    """

    def __init__(self, labels: list[LinearHead], frustrated: list[LinearHead]):
        if len(labels) != len(frustrated) or any(h.binary for h in labels) or not all(h.binary for h in frustrated):
            raise ValueError("FusedViews needs one multi-class label head and one binary frustrated head per view")
        heads = labels + frustrated
        self.bias = np.concatenate([h.bias for h in heads])
        self.slope = np.concatenate([h.slope.ravel() for h in heads])
        self.offset = np.concatenate([h.offset.ravel() for h in heads])
        self.views, self.folds, self.classes = len(labels), labels[0].slope.shape[0], labels[0].slope.shape[1]
        label_width = self.folds * self.classes
        # A view's features feed only its own label and frustrated outputs: one dense matrix over all views would
        # be block-diagonal, and gathering its rows would copy mostly zeros.
        self.blocks = [np.ascontiguousarray(np.hstack([lab.by_feature, fru.by_feature])) for lab, fru in zip(labels, frustrated, strict=True)]
        self._label_width = label_width

    def predict(self, rows: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, float]:
        """Mean label probabilities and mean frustrated probability over the views, for one reply."""
        w = self._label_width
        per_view = [vals @ block[cols] for (cols, vals), block in zip(rows, self.blocks, strict=True)]
        decision = np.concatenate([d[:w] for d in per_view] + [d[w:] for d in per_view]) + self.bias
        calibrated = 1.0 / (1.0 + np.exp(self.slope * decision + self.offset))
        split = self.views * w
        labels = calibrated[:split].reshape(self.views * self.folds, self.classes)
        total = labels.sum(axis=1, keepdims=True)
        labels = np.divide(labels, total, out=np.full_like(labels, 1.0 / self.classes), where=total != 0)
        return labels.mean(axis=0), float(calibrated[split:].mean())
