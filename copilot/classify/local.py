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
from copilot.classify.extract import sentences
from copilot.classify.facts import fill_facts
from copilot.classify.gates import apply_gates
from copilot.classify.injection import injection_attempt
from copilot.classify.linear import LinearHead
from copilot.errors import ClassifierError
from copilot.labels import Classification, Label, Reply
from copilot.resources import datasets_dir

log = logging.getLogger(__name__)

FEATURE_VERSION = "local-3"  # bump when features or model change, so stale caches are not reused
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
MIN_ESCALATION_RECALL = 0.96  # the frustrated threshold is the highest that keeps this recall out of fold


def model_input(subject: str, text: str) -> str:
    """What the model reads: the subject and the reply body without quotes, greeting or sign-off."""
    return f"{subject or ''}\n{body_for_model(text)}"


class Features:
    """Cue groups, word 1-2-grams and character 2-5-grams side by side (FeatureUnion without its per-call overhead)."""

    def __init__(self) -> None:
        self.parts = [
            CueFeatures(1.0),
            TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
            TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 4), min_df=2),
        ]

    def fit_transform(self, texts: list[str]) -> sparse.csr_matrix:
        X = sparse.hstack([p.fit_transform(texts) for p in self.parts], format="csr")
        self._prepare()
        return X

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        return sparse.hstack([p.transform(texts) for p in self.parts], format="csr")

    def _prepare(self) -> None:
        self._tfidf = [(p.build_analyzer(), p.vocabulary_, p.idf_) for p in self.parts[1:]]
        self._offsets = np.cumsum([0, len(cue_vector(""))] + [len(v) for _, v, _ in self._tfidf])

    def transform_one(self, text: str) -> sparse.csr_matrix:
        """The same row as `transform([text])` (used by tests to check `row`)."""
        cols, vals = self.row(text)
        return sparse.csr_matrix((vals, cols, [0, len(cols)]), shape=(1, int(self._offsets[-1])))

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of one text's feature row, built directly.

        scikit-learn's transform validates and converts on every call, which costs more than the maths
        for a single reply; this keeps the same arithmetic (sublinear tf, idf, l2 norm per block).
        """
        cues = np.asarray(cue_vector(text)) * self.parts[0].weight
        first = np.flatnonzero(cues)
        cols, vals = [first], [cues[first]]
        for (analyze, vocabulary, idf), offset in zip(self._tfidf, self._offsets[1:-1], strict=True):
            counts = Counter(analyze(text))
            known = counts.keys() & vocabulary.keys()  # set intersection runs in C
            if not known:
                continue
            idx = np.array([vocabulary[t] for t in known], dtype=np.int64)
            tf = np.array([counts[t] for t in known], dtype=np.float64)
            weights = (np.log(tf) + 1.0) * idf[idx]
            weights /= np.sqrt(weights @ weights)
            order = np.argsort(idx)
            cols.append(idx[order] + offset)
            vals.append(weights[order])
        return np.concatenate(cols), np.concatenate(vals)


def _calibrated() -> CalibratedClassifierCV:
    # Sigmoid calibration over 5 folds: with a few hundred replies isotonic would overfit the probabilities.
    return CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced"), method="sigmoid", cv=5)


@dataclass
class TrainedModel:
    vectorizer: Features
    labels: LinearHead
    frustrated: LinearHead
    frustrated_threshold: float
    word_weights: dict[str, dict[str, float]]  # label -> word -> weight, averaged over folds, for evidence
    classes: list[str]
    digest: str


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
    X = vectorizer.fit_transform(texts)
    labels = _calibrated().fit(X, y)
    frustrated_model = _calibrated().fit(X, frustrated)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    oof = cross_val_predict(_calibrated(), X, frustrated, cv=folds, method="predict_proba")[:, 1]
    weights = np.mean([c.estimator.coef_ for c in labels.calibrated_classifiers_], axis=0)
    words = vectorizer.parts[1].vocabulary_
    start = int(vectorizer._offsets[1])
    word_weights = {
        label: {term: float(weights[row, start + col]) for term, col in words.items() if " " not in term and weights[row, start + col] > 0}
        for row, label in enumerate(labels.classes_)
    }
    return TrainedModel(
        vectorizer, LinearHead.from_calibrated(labels), LinearHead.from_calibrated(frustrated_model),
        _threshold(oof, frustrated), word_weights, list(labels.classes_), digest,
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
        cols, vals = self.model.vectorizer.row(model_input(reply.subject, reply.text))
        probs = self.model.labels.predict_row(cols, vals)
        best = int(np.argmax(probs))
        p_frustrated = float(self.model.frustrated.predict_row(cols, vals)[1])
        label = Label(self.model.classes[best])
        flagged = label is Label.FRUSTRATION or p_frustrated >= self.model.frustrated_threshold
        return Scored(label, float(probs[best]), p_frustrated, flagged)

    def classify(self, reply: Reply) -> Classification:
        gated = apply_gates(reply)
        if gated is not None:
            return gated
        scored = self.score(reply)
        result = Classification(
            label=scored.label,
            frustrated=scored.frustrated,
            confidence=round(scored.confidence, 4),
            # A reply that tries to instruct the system always gets a human look, whatever its label.
            needs_review=scored.confidence < self.review_threshold or injection_attempt(reply.text) is not None,
            source="local",
            model=f"{FEATURE_VERSION}:{self.model.digest}",
        )
        return fill_facts(result, reply, self._evidence(reply, scored.label))

    def _evidence(self, reply: Reply, label: Label) -> str | None:
        """The sentence of the new text whose words push hardest towards the label."""
        candidates = [s for s in sentences(strip_reply(reply.text))[:12] if s in reply.text]
        if not candidates:
            return None
        weights = self.model.word_weights[label.value]
        return max(candidates, key=lambda s: sum(weights.get(t, 0.0) for t in set(_WORD.findall(s.lower()))))
