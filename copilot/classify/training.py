"""Training the offline model: three views of each reply, one calibrated linear model per view.

The views are multilingual cue groups, word 1-2-grams and character 3-4-grams. Their probabilities are
averaged and sharpened by one temperature fitted out of fold; the frustrated flag gets its own models and a
threshold chosen for escalation recall. Trained models are reduced to numpy (`LinearHead`) for speed.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

from copilot.classify.clean import body_for_model
from copilot.classify.cues import CueFeatures, cue_vector
from copilot.classify.linear import LinearHead
from copilot.errors import ClassifierError
from copilot.labels import Label

WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
MIN_ESCALATION_RECALL = 0.93  # the frustrated threshold is the highest that keeps this recall out of fold; 0.96 lost
# precision in cross-validation on train (0.54 vs 0.61) for recall well above the 0.9 target (0.98 vs 0.94)


def word_grams(low: str) -> list[str]:
    """The word 1-2-grams scikit-learn's word analyzer yields for lower-cased text, in one comprehension."""
    tokens = WORD.findall(low)
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def char_grams(low: str) -> list[str]:
    """Character 3-4-grams within words (char_wb), for lower-cased text.

    Words are padded and joined by two spaces and sliced in one pass instead of word by word. The extra grams
    that straddle two words hold an inner space, which no char_wb gram has, so the vocabulary drops them.
    """
    padded = " " + "  ".join(low.split()) + " "
    return [padded[i : i + 3] for i in range(len(padded) - 2)] + [padded[i : i + 4] for i in range(len(padded) - 3)]


def model_input(subject: str, text: str) -> str:
    """What the model reads: the subject and the reply body without quotes, greeting or sign-off."""
    return f"{subject or ''}\n{body_for_model(text)}"


class Features:
    """Three views of a reply: multilingual cue groups, word 1-2-grams and character 3-4-grams.

    Each view gets its own calibrated model and their probabilities are averaged. Stacked into one model,
    the many n-gram columns drown the few cue columns and it learns the training phrasing instead of intent.
    """

    def __init__(self) -> None:
        self.parts = [
            CueFeatures(1.0),
            TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2),  # a word seen once is usually a name
            TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 4), min_df=2),
        ]

    def fit_transform(self, texts: list[str]) -> list[sparse.csr_matrix]:
        blocks = [sparse.csr_matrix(p.fit_transform(texts)) for p in self.parts]
        # `rows` reads these with word_grams and char_grams, which must match the analyzers above (lower-case;
        # word 1-2-grams; char_wb 3-4-grams); a test checks they agree.
        self._tfidf = [(p.vocabulary_, p.idf_) for p in self.parts[1:]]
        return blocks

    def transform(self, texts: list[str]) -> list[sparse.csr_matrix]:
        return [sparse.csr_matrix(p.transform(texts)) for p in self.parts]

    def rows(self, text: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per view, the column indices and values of one text's row, built directly.

        scikit-learn's transform validates and converts on every call, which costs more than the maths
        for a single reply; this keeps the same arithmetic (sublinear tf, idf, l2 norm).
        """
        cues = np.asarray(cue_vector(text)) * self.parts[0].weight
        low = text.lower()
        nonzero = np.flatnonzero(cues)
        (words, word_idf), (_, char_idf) = self._tfidf
        # Look every gram up first and count only the known ones: most grams are unknown, and
        # np.unique counts integers faster than a Counter counts strings.
        found_words = [i for i in map(words.get, word_grams(low)) if i is not None]
        return [(nonzero, cues[nonzero]), _tfidf_row(found_words, word_idf), _tfidf_row(self._char_columns(low), char_idf)]

    def _char_columns(self, low: str) -> list[int]:
        """The vocabulary columns of the char grams of `low`, looked up word by word.

        Char grams never cross a word, and most words of a reply were seen in earlier replies, so one
        dictionary lookup per word replaces seven per character. The memo is bounded and not pickled.
        """
        memo = self.__dict__.setdefault("_char_memo", {})
        if len(memo) > _CHAR_MEMO_WORDS:
            memo.clear()
        chars = self._tfidf[1][0]
        out: list[int] = []
        for word in low.split():
            cols = memo.get(word)
            if cols is None:
                cols = memo[word] = [i for i in map(chars.get, char_grams(word)) if i is not None]
            out += cols
        return out

    def clear_memo(self) -> None:
        """Forget the per-word lookups (a benchmark starts each round cold with it)."""
        self.__dict__.pop("_char_memo", None)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_char_memo"}


_CHAR_MEMO_WORDS = 50_000


def _tfidf_row(found: list[int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sublinear tf times idf, l2-normalised, for the vocabulary columns found in one text."""
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    idx, tf = np.unique(np.array(found, dtype=np.int64), return_counts=True)
    weights = (np.log(tf) + 1.0) * idf[idx]
    weights /= np.sqrt(weights @ weights)
    return idx, weights


def _calibrated() -> CalibratedClassifierCV:
    # Sigmoid calibration over 5 folds: with a few hundred replies isotonic would overfit the probabilities.
    return CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced"), method="sigmoid", cv=5)


@dataclass
class TrainedModel:
    vectorizer: Features
    labels: list[LinearHead]  # one per view, probabilities averaged
    frustrated: list[LinearHead]
    frustrated_threshold: float
    word_weights: dict[str, dict[str, float]]  # label -> word -> weight, averaged over folds, for evidence
    classes: list[str]
    digest: str
    temperature: float = 1.0  # applied to the averaged label probabilities


@dataclass(frozen=True)
class TrainingRow:
    subject: str
    text: str
    label: str
    frustrated: bool
    weight: float = 1.0  # a reply wrapped n ways in noise counts 1/n per wrapping, so its words are not counted n times


def load_training_rows(path: Path) -> list[TrainingRow]:
    """The labelled replies of a train split, validated by the evaluation loader."""
    from copilot.evaluation.dataset import load_dataset

    return [TrainingRow(r.subject, r.text, r.label.value, r.frustrated or r.label is Label.FRUSTRATION, r.weight) for r in load_dataset(path)]


def _folds() -> StratifiedKFold:
    return StratifiedKFold(n_splits=5, shuffle=True, random_state=0)


def sharpen(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling of probabilities: p^(1/T), renormalised."""
    scaled = np.power(np.clip(probabilities, 1e-12, 1.0), 1.0 / temperature)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def _temperature(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the log loss of out-of-fold predictions."""
    grid = np.arange(0.2, 2.01, 0.05)
    losses = [-np.log(sharpen(probabilities, t)[np.arange(len(truth)), truth]).mean() for t in grid]
    return float(grid[int(np.argmin(losses))])


def _threshold(probabilities: np.ndarray, truth: np.ndarray) -> float:
    for candidate in np.arange(0.7, 0.1, -0.025):
        if truth.sum() == 0 or (probabilities[truth] >= candidate).mean() >= MIN_ESCALATION_RECALL:
            return float(candidate)
    return 0.1


@dataclass(frozen=True)
class OutOfFold:
    """What each training row got from models that never saw it: cross-validated figures come for free."""

    labels: list[str]
    frustrated: list[bool]


def train(rows: list[TrainingRow], digest: str = "", weights: Sequence[float] | None = None) -> TrainedModel:
    """Fit the label model and the frustrated model on labelled rows (optionally weighted per row)."""
    return fit(rows, digest, weights)[0]


def fit(rows: list[TrainingRow], digest: str = "", weights: Sequence[float] | None = None) -> tuple[TrainedModel, OutOfFold]:
    """`train`, also returning the out-of-fold predictions it computes anyway for the temperature and threshold."""
    if weights is not None and len(weights) != len(rows):
        raise ClassifierError(f"{len(weights)} weights for {len(rows)} training rows")
    counts = Counter(r.label for r in rows)
    if len(counts) < 2:
        raise ClassifierError("the training set needs replies of at least two labels")
    thin = sorted(label for label, n in counts.items() if n < 5)
    if thin or sum(r.frustrated for r in rows) < 5:
        raise ClassifierError(f"the training set needs at least 5 replies per label and 5 frustrated ones; too few: {', '.join(thin) or 'frustrated'}")
    texts = [model_input(r.subject, r.text) for r in rows]
    y = np.array([r.label for r in rows])
    frustrated = np.array([r.frustrated for r in rows])
    vectorizer = Features()
    blocks = vectorizer.fit_transform(texts)
    # A row's own weight (one of n wrappings of a body counts 1/n) times the caller's (a team's own examples count more).
    row_w = np.array([r.weight for r in rows], dtype=float)
    w = row_w if weights is None else row_w * np.asarray(weights, dtype=float)
    fit_kw = {} if np.all(w == 1.0) else {"sample_weight": w}
    cv_kw = {} if not fit_kw else {"params": {"sample_weight": w}}
    label_models = [_calibrated().fit(X, y, **fit_kw) for X in blocks]
    classes = label_models[0].classes_
    # Averaging three calibrated views blunts the probabilities; one temperature, fitted out of fold, restores them.
    oof_labels = np.mean([cross_val_predict(_calibrated(), X, y, cv=_folds(), method="predict_proba", **cv_kw) for X in blocks], axis=0)
    temperature = _temperature(oof_labels, np.searchsorted(classes, y))
    frustrated_models = [_calibrated().fit(X, frustrated, **fit_kw) for X in blocks]
    oof = np.mean([cross_val_predict(_calibrated(), X, frustrated, cv=_folds(), method="predict_proba", **cv_kw)[:, 1] for X in blocks], axis=0)
    words = label_models[1]
    coefs = np.mean([c.estimator.coef_ for c in words.calibrated_classifiers_], axis=0)
    vocabulary = vectorizer.parts[1].vocabulary_
    word_weights = {
        label: {term: float(coefs[row, col]) for term, col in vocabulary.items() if " " not in term and coefs[row, col] > 0}
        for row, label in enumerate(words.classes_)
    }
    threshold = _threshold(oof, frustrated)
    model = TrainedModel(
        vectorizer, [LinearHead.from_calibrated(m) for m in label_models], [LinearHead.from_calibrated(m) for m in frustrated_models],
        threshold, word_weights, list(words.classes_), digest, temperature,
    )  # fmt: skip
    return model, OutOfFold([str(c) for c in classes[oof_labels.argmax(axis=1)]], [bool(p >= threshold) for p in oof])
