"""The offline classifier: header gates, the locally trained model, then offline fact extraction.

The model trains only on the shipped train split, in a few seconds, the first time it is needed and is cached
on disk (keyed by the training data, the feature version and scikit-learn's version), so nothing is
downloaded and no binary model lives in the repository.
"""

import hashlib
import logging
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn

from copilot.classify.clean import strip_reply
from copilot.classify.extract import future_commitment, sentences
from copilot.classify.facts import fill_facts
from copilot.classify.gates import apply_gates
from copilot.classify.injection import guard, injection_attempt, without_injection
from copilot.classify.linear import FusedViews
from copilot.classify.training import WORD, TrainedModel, load_training_rows, model_input, sharpen, train
from copilot.errors import ClassifierError
from copilot.labels import Classification, Label, Reply
from copilot.mail.budget import checkpoint
from copilot.resources import datasets_dir

log = logging.getLogger(__name__)

FEATURE_VERSION = "local-15"  # bump when features or model change, so stale caches are not reused


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
        self._fused = FusedViews(model.labels, model.frustrated)

    def score(self, reply: Reply) -> Scored:
        """Label probabilities and the frustrated flag, no gates or extraction."""
        if not without_injection(reply.text).strip():
            # Nothing but instructions to the system: no customer words to label, so the payload cannot pick one.
            # Otherwise the model reads everything: instruction words themselves are a sign of `other` in training.
            return Scored(Label.OTHER, 0.0, 0.0, False)
        rows = self.model.vectorizer.rows(model_input(reply.subject, reply.text))
        probs, p_frustrated = self._fused.predict(rows)
        probs = sharpen(probs, self.model.temperature)
        best = int(np.argmax(probs))
        label = Label(self.model.classes[best])
        flagged = label is Label.FRUSTRATION or p_frustrated >= self.model.frustrated_threshold
        return Scored(label, float(probs[best]), p_frustrated, flagged)

    def classify(self, reply: Reply) -> Classification:
        return guard(self._classify(reply), reply)

    def _classify(self, reply: Reply) -> Classification:
        gated = apply_gates(reply)
        if gated is not None:
            return gated
        checkpoint("the local model")
        scored = self.score(reply)
        label = scored.label
        checkpoint("the payment-date check")
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
        checkpoint("choosing the evidence")
        evidence = self.evidence(reply, label)
        return fill_facts(result, reply, evidence)

    def evidence(self, reply: Reply, label: Label) -> str | None:
        """The sentence of the new text whose words push hardest towards the label."""
        candidates = [s for s in sentences(strip_reply(reply.text))[:12] if s in reply.text]
        if not candidates:
            return None
        weights = self.model.word_weights[label.value]
        return max(candidates, key=lambda s: sum(weights.get(t, 0.0) for t in set(WORD.findall(s.lower()))))
