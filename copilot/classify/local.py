"""The offline classifier: TF-IDF word and character n-grams plus multilingual cues, a calibrated linear model.

It trains only on the shipped train split, in about a second, the first time it is needed and caches the
fitted model on disk (keyed by the training data, this module's feature version and scikit-learn's version),
so nothing is downloaded and no binary model lives in the repository.
"""

import hashlib
import logging
import pickle
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from scipy import sparse
from sklearn.svm import LinearSVC

from copilot.classify.clean import body_for_model, strip_reply
from copilot.classify.cues import CueFeatures, cue_vector
from copilot.classify.extract import future_commitment, sentences
from copilot.classify.facts import fill_facts
from copilot.classify.gates import apply_gates
from copilot.classify.injection import injection_attempt
from copilot.classify.linear import LinearHead
from copilot.errors import ClassifierError
from copilot.labels import Classification, Label, Reply
from copilot.resources import datasets_dir

log = logging.getLogger(__name__)

FEATURE_VERSION = "local-5"  # bump when features or model change, so stale caches are not reused
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
MIN_ESCALATION_RECALL = 0.96  # the frustrated threshold is the highest that keeps this recall out of fold


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
            TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
            TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 4), min_df=2),
        ]

    def fit_transform(self, texts: list[str]) -> list[sparse.csr_matrix]:
        blocks = [sparse.csr_matrix(p.fit_transform(texts)) for p in self.parts]
        self._tfidf = [(p.build_analyzer(), p.vocabulary_, p.idf_) for p in self.parts[1:]]
        return blocks

    def transform(self, texts: list[str]) -> list[sparse.csr_matrix]:
        return [sparse.csr_matrix(p.transform(texts)) for p in self.parts]

    def rows(self, text: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per view, the column indices and values of one text's row, built directly.

        scikit-learn's transform validates and converts on every call, which costs more than the maths
        for a single reply; this keeps the same arithmetic (sublinear tf, idf, l2 norm).
        """
        cues = np.asarray(cue_vector(text)) * self.parts[0].weight
        nonzero = np.flatnonzero(cues)
        out = [(nonzero, cues[nonzero])]
        for analyze, vocabulary, idf in self._tfidf:
            counts = Counter(analyze(text))
            known = counts.keys() & vocabulary.keys()  # set intersection runs in C
            if not known:
                out.append((np.zeros(0, dtype=np.int64), np.zeros(0)))
                continue
            idx = np.array([vocabulary[t] for t in known], dtype=np.int64)
            tf = np.array([counts[t] for t in known], dtype=np.float64)
            weights = (np.log(tf) + 1.0) * idf[idx]
            weights /= np.sqrt(weights @ weights)
            order = np.argsort(idx)
            out.append((idx[order], weights[order]))
        return out


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


def load_training_rows(path: Path) -> list[TrainingRow]:
    """The labelled replies of a train split, validated by the evaluation loader."""
    from copilot.evaluation.dataset import load_dataset

    return [TrainingRow(r.subject, r.text, r.label.value, r.frustrated or r.label is Label.FRUSTRATION) for r in load_dataset(path)]


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


def train(rows: list[TrainingRow], digest: str = "") -> TrainedModel:
    """Fit the label model and the frustrated model on labelled rows."""
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
    label_models = [_calibrated().fit(X, y) for X in blocks]
    classes = label_models[0].classes_
    # Averaging three calibrated views blunts the probabilities; one temperature, fitted out of fold, restores them.
    oof_labels = np.mean([cross_val_predict(_calibrated(), X, y, cv=_folds(), method="predict_proba") for X in blocks], axis=0)
    temperature = _temperature(oof_labels, np.searchsorted(classes, y))
    frustrated_models = [_calibrated().fit(X, frustrated) for X in blocks]
    oof = np.mean([cross_val_predict(_calibrated(), X, frustrated, cv=_folds(), method="predict_proba")[:, 1] for X in blocks], axis=0)
    words = label_models[1]
    weights = np.mean([c.estimator.coef_ for c in words.calibrated_classifiers_], axis=0)
    vocabulary = vectorizer.parts[1].vocabulary_
    word_weights = {
        label: {term: float(weights[row, col]) for term, col in vocabulary.items() if " " not in term and weights[row, col] > 0}
        for row, label in enumerate(words.classes_)
    }
    return TrainedModel(
        vectorizer, [LinearHead.from_calibrated(m) for m in label_models], [LinearHead.from_calibrated(m) for m in frustrated_models],
        _threshold(oof, frustrated), word_weights, list(words.classes_), digest, temperature,
    )  # fmt: skip


def _digest(train_path: Path) -> str:
    h = hashlib.sha256(train_path.read_bytes())
    h.update(f"{FEATURE_VERSION}|{sklearn.__version__}".encode())
    return h.hexdigest()[:16]


def default_cache_path(digest: str) -> Path:
    return Path.home() / ".cache" / "collector-copilot" / f"classifier-{digest}.pkl"


_MEMO: dict[str, TrainedModel] = {}
_LOCK = threading.Lock()


def load_model(train_path: Path | None = None, cache_path: Path | None = None) -> TrainedModel:
    """The fitted model: from this process, else the on-disk cache, else trained now and cached."""
    train_path = train_path or datasets_dir() / "train.jsonl"
    if not train_path.is_file():
        raise ClassifierError(f"the local classifier trains on {train_path}, which does not exist")
    digest = _digest(train_path)
    with _LOCK:
        if digest in _MEMO:
            return _MEMO[digest]
        path = cache_path or default_cache_path(digest)
        model = _read_cache(path, digest)
        if model is None:
            model = train(load_training_rows(train_path), digest)
            _write_cache(path, model)
        _MEMO[digest] = model
        return model


def _read_cache(path: Path, digest: str) -> TrainedModel | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)  # our own cache file, written by _write_cache below
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.warning("ignoring unreadable classifier cache %s: %s", path, exc)
        return None
    return model if isinstance(model, TrainedModel) and model.digest == digest else None


def _write_cache(path: Path, model: TrainedModel) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError as exc:  # a read-only home still classifies; it just retrains next run
        log.warning("could not cache the classifier at %s: %s", path, exc)


def _future_payment_date(reply: Reply) -> bool:
    """Whether the reply commits to a payment date after the day it was written."""
    return future_commitment(strip_reply(reply.text), reply.sent_at) is not None


@dataclass
class Scored:
    """The local model's raw view of one reply, used by the cascade to decide on the LLM."""

    label: Label
    confidence: float
    frustrated_probability: float
    frustrated: bool


class LocalClassifier:
    """Header gates, then the calibrated model, then offline fact extraction."""

    name = "local"

    def __init__(self, model: TrainedModel, review_threshold: float = 0.0):
        self.model = model
        self.review_threshold = review_threshold

    def score(self, reply: Reply) -> Scored:
        """Label probabilities and the frustrated flag, no gates or extraction."""
        rows = self.model.vectorizer.rows(model_input(reply.subject, reply.text))
        probs = np.mean([head.predict_row(c, v) for head, (c, v) in zip(self.model.labels, rows, strict=True)], axis=0)
        probs = sharpen(probs, self.model.temperature)
        best = int(np.argmax(probs))
        p_frustrated = float(np.mean([head.predict_row(c, v)[1] for head, (c, v) in zip(self.model.frustrated, rows, strict=True)]))
        label = Label(self.model.classes[best])
        flagged = label is Label.FRUSTRATION or p_frustrated >= self.model.frustrated_threshold
        return Scored(label, float(probs[best]), p_frustrated, flagged)

    def classify(self, reply: Reply) -> Classification:
        gated = apply_gates(reply)
        if gated is not None:
            return gated
        scored = self.score(reply)
        label = scored.label
        if label is Label.PAID and _future_payment_date(reply):
            label = Label.PROMISE_TO_PAY  # "paid" is about the past; a payment date still ahead is a promise
        result = Classification(
            label=label,
            frustrated=scored.frustrated,
            confidence=round(scored.confidence, 4),
            # A reply that tries to instruct the system always gets a human look, whatever its label.
            needs_review=scored.confidence < self.review_threshold or injection_attempt(reply.text) is not None,
            source="local",
            model=f"{FEATURE_VERSION}:{self.model.digest}",
        )
        return fill_facts(result, reply, self._evidence(reply, label))

    def _evidence(self, reply: Reply, label: Label) -> str | None:
        """The sentence of the new text whose words push hardest towards the label."""
        candidates = [s for s in sentences(strip_reply(reply.text))[:12] if s in reply.text]
        if not candidates:
            return None
        weights = self.model.word_weights[label.value]
        return max(candidates, key=lambda s: sum(weights.get(t, 0.0) for t in set(_WORD.findall(s.lower()))))
