"""`copilot train`: the local model learns this database's inbox.

It trains on the shipped train split plus the collectors' corrections plus any labelled files, with the
team's own examples weighted up (they are the inbox's real distribution), reports the out-of-fold figures
training computes anyway, and scores the result on the shipped test split. A model that loses more than
`classifier.max_test_drop` macro-F1 there against the shipped model is stored but not made active.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sklearn

from copilot.classify.local import FEATURE_VERSION, LocalClassifier, load_model
from copilot.classify.registry import ModelInfo, latest_correction_id, save_model
from copilot.classify.training import TrainingRow, fit
from copilot.config import Settings
from copilot.errors import ClassifierError
from copilot.evaluation.corrections import correction_rows
from copilot.evaluation.dataset import LabelledReply, load_dataset
from copilot.evaluation.metrics import compute_metrics, headline, pair_up
from copilot.evaluation.predictions import Prediction
from copilot.evaluation.runner import run_classifier
from copilot.labels import Label
from copilot.resources import datasets_dir
from copilot.store import Store

SHIPPED_SOURCE = "shipped"
CORRECTIONS_SOURCE = "corrections"


@dataclass
class Corpus:
    """The labelled replies training sees, where each came from and how much it counts."""

    items: list[LabelledReply] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # shipped | corrections | the file's name
    weights: list[float] = field(default_factory=list)
    dropped_test_copies: int = 0
    skipped_without_text: int = 0

    def add(self, item: LabelledReply, origin: str, weight: float) -> None:
        self.items.append(item.model_copy(update={"id": f"{origin}:{item.id}"}))
        self.origins.append(origin)
        self.weights.append(weight)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for origin in self.origins:
            out[origin] = out.get(origin, 0) + 1
        return out

    @property
    def team(self) -> list[int]:
        """Indexes of the team's own examples (corrections and given files)."""
        return [i for i, o in enumerate(self.origins) if o != SHIPPED_SOURCE]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def gather(store: Store, datasets: Sequence[Path], team_weight: float) -> Corpus:
    """The shipped train split, then the corrections, then each file; a later copy of the same text replaces an earlier one.

    A team example that repeats a reply of the shipped test split is left out, so the test-split check stays honest.
    """
    corpus = Corpus()
    test_texts = {_key(r.text) for r in load_dataset(datasets_dir() / "test.jsonl")}
    corrections, corpus.skipped_without_text = correction_rows(store)
    team: dict[str, tuple[LabelledReply, str]] = {}
    for path in datasets:
        for item in load_dataset(path):
            team[_key(item.text)] = (item, path.name)
    for item in corrections:  # a collector's correction is the newest word on a reply
        team[_key(item.text)] = (item, CORRECTIONS_SOURCE)
    for key in list(team):
        if key in test_texts:
            corpus.dropped_test_copies += 1
            del team[key]
    for item in load_dataset(datasets_dir() / "train.jsonl"):
        if _key(item.text) not in team:
            corpus.add(item, SHIPPED_SOURCE, 1.0)
    for item, origin in team.values():
        corpus.add(item, origin, team_weight)
    return corpus


def _row(item: LabelledReply) -> TrainingRow:
    return TrainingRow(item.subject, item.text, item.label.value, item.frustrated or item.label is Label.FRUSTRATION)


def digest(corpus: Corpus) -> str:
    """Names the model by what it learned from, and with which features and scikit-learn."""
    h = hashlib.sha256(f"{FEATURE_VERSION}|{sklearn.__version__}".encode())
    for item, weight in zip(corpus.items, corpus.weights, strict=True):
        h.update(f"\x00{item.label.value}|{item.frustrated}|{weight}|{item.subject}|{item.text}".encode())
    return "db-" + h.hexdigest()[:16]


def _scores(items: list[LabelledReply], predictions: list[Prediction]) -> dict[str, Any]:
    metrics = compute_metrics(pair_up(items, predictions))
    return {**{k: v for k, v in headline(metrics).items() if "." not in k}, "n": metrics["n"]}


def score_on_test(classifier: LocalClassifier) -> dict[str, Any]:
    """The headline figures of a classifier on the shipped test split, end to end."""
    items = load_dataset(datasets_dir() / "test.jsonl")
    result = run_classifier(classifier, items, progress=False)
    return _scores(items, result.predictions)


@dataclass(frozen=True)
class TrainOutcome:
    model: ModelInfo
    activated: bool
    reason: str | None  # why it was not made active (or what --force overrode)
    counts: dict[str, int]
    dropped_test_copies: int


def retrain(
    store: Store,
    settings: Settings,
    datasets: Sequence[Path] = (),
    *,
    actor: str,
    force: bool = False,
    say: Callable[[str], None] = lambda _m: None,
) -> TrainOutcome:
    """Train on shipped + corrections + files, check against the shipped test split, store it, activate it if it passes."""
    rules = settings.classifier
    corpus = gather(store, datasets, rules.team_weight)
    upto = latest_correction_id(store)
    if not corpus.team:
        raise ClassifierError(
            "nothing new to learn: the database holds no corrected replies and no --dataset was given"
            + (f" ({corpus.dropped_test_copies} given replies repeat the shipped test split and were left out)" if corpus.dropped_test_copies else "")
        )  # fmt: skip
    counts = corpus.counts()
    say("training on " + ", ".join(f"{n} {origin}" for origin, n in counts.items())
        + f" (the team's own examples weigh {rules.team_weight:g}x)")  # fmt: skip
    model, oof = fit([_row(i) for i in corpus.items], digest(corpus), corpus.weights)
    predictions = [Prediction(id=i.id, label=Label(lab), confidence=1.0, frustrated=fl)
                   for i, lab, fl in zip(corpus.items, oof.labels, oof.frustrated, strict=True)]  # fmt: skip
    team = corpus.team
    cv = {
        "all": _scores(corpus.items, predictions),
        "team": _scores([corpus.items[k] for k in team], [predictions[k] for k in team]),
    }
    say("scoring on the shipped test split")
    review = rules.review_threshold
    test = score_on_test(LocalClassifier(model, review_threshold=review))
    baseline = score_on_test(LocalClassifier(load_model(cache_path=rules.model_path), review_threshold=review))
    drop = (baseline["macro_f1"] or 0.0) - (test["macro_f1"] or 0.0)
    reason = None
    if drop > rules.max_test_drop:
        reason = (f"macro-F1 on the shipped test split fell from {baseline['macro_f1']:.3f} to {test['macro_f1']:.3f}, "
                  f"more than the allowed {rules.max_test_drop:.2f} (setting classifier.max_test_drop)")  # fmt: skip
    activate = reason is None or force
    sources = {"counts": counts, "team_weight": rules.team_weight, "datasets": [p.name for p in datasets],
               "dropped_test_copies": corpus.dropped_test_copies}  # fmt: skip
    info = save_model(store, model, actor=actor, activate=activate, forced=force and reason is not None, reason=reason,
                      corrections_upto=upto, sources=sources, cv=cv, test=test, baseline=baseline)  # fmt: skip
    return TrainOutcome(info, activate, reason, counts, corpus.dropped_test_copies)
