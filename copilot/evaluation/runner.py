"""Run any Classifier over a labelled set, timing each reply, and build the run record `--compare` reads."""

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from copilot import clock
from copilot.config import Settings
from copilot.errors import ClassifierError
from copilot.evaluation.dataset import LabelledReply
from copilot.evaluation.metrics import compute_metrics, pair_up
from copilot.evaluation.predictions import Prediction, provenance
from copilot.labels import Classifier, Label
from copilot.redact import redact
from copilot.store import Store

RUN_SCHEMA = "copilot-eval-run/1"
USAGE_KEYS = ("calls", "input_tokens", "output_tokens", "cost")


@dataclass
class RunResult:
    classifier: str
    predictions: list[Prediction]
    usage: dict[str, float] | None = None
    wall_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Resolved:
    classifier: Classifier
    store: Store | None = None  # where an LLM logs its calls, for the usage figures
    notes: list[str] = field(default_factory=list)


def resolve_classifier(mode: str, settings_factory: Callable[[], Settings], store_factory: Callable[[], Store]) -> Resolved:
    """The classifier behind `--classifier`.

    `keyword` is the built-in baseline; other modes go through `copilot.classify.build_classifier`.
    """
    from copilot import classify
    from copilot.classify.keyword import KeywordClassifier

    if mode == "keyword":
        return Resolved(KeywordClassifier())
    store = store_factory()
    return Resolved(classify.build_classifier(settings_factory(), store, mode), store)


def _usage_snapshot(classifier: Classifier, store: Store | None) -> dict[str, float] | None:
    """Cumulative LLM usage: the classifier's own `usage` counters if it has them, else the llm_calls log."""
    own = getattr(classifier, "usage", None)
    if own is not None:
        get = own.get if isinstance(own, dict) else lambda k, d=0: getattr(own, k, d)
        return {k: float(get(k, 0) or 0) for k in USAGE_KEYS}
    if store is not None and store.db["llm_calls"].exists():
        row = store.db.execute(
            "select count(*), coalesce(sum(input_tokens),0), coalesce(sum(output_tokens),0), coalesce(sum(cost),0) "
            "from llm_calls where outcome != 'cache_hit'"
        ).fetchone()
        return dict(zip(USAGE_KEYS, map(float, row), strict=True))
    return None


def run_classifier(
    classifier: Classifier,
    dataset: Sequence[LabelledReply],
    *,
    store: Store | None = None,
    progress: bool = True,
) -> RunResult:
    """Classify every reply in order, timing each one; a ClassifierError on one reply is recorded, not fatal."""
    before = _usage_snapshot(classifier, store)
    predictions: list[Prediction] = []
    started = time.perf_counter()
    for item in tqdm(dataset, desc=f"eval {classifier.name}", unit="reply", disable=not progress, leave=False):
        reply = item.to_reply()
        t0 = time.perf_counter()
        try:
            result = classifier.classify(reply)
        except ClassifierError as exc:
            elapsed = (time.perf_counter() - t0) * 1000
            predictions.append(Prediction(id=item.id, label=Label.OTHER, confidence=0.0, needs_review=True,
                                          latency_ms=elapsed, error=redact(str(exc))))  # fmt: skip
            continue
        predictions.append(Prediction.from_classification(item.id, result, (time.perf_counter() - t0) * 1000))
    wall = time.perf_counter() - started
    after = _usage_snapshot(classifier, store)
    usage = None
    if before is not None and after is not None and any(after[k] > before[k] for k in USAGE_KEYS):
        usage = {k: round(after[k] - before[k], 6) for k in USAGE_KEYS}
    return RunResult(classifier.name, predictions, usage, wall)


def file_sha256(path: Path) -> str:
    """Fingerprint of the dataset, so comparisons can tell when two runs scored different data."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_record(dataset_path: Path, dataset: Sequence[LabelledReply], result: RunResult) -> dict:
    """The JSON run file: what ran on which data, and every metric."""
    return {
        "schema": RUN_SCHEMA,
        "created_at": clock.now_iso(),
        "dataset": {"path": str(dataset_path), "sha256": file_sha256(dataset_path), "n": len(dataset)},
        "classifier": result.classifier,
        "provenance": provenance(result.predictions),
        "wall_seconds": round(result.wall_seconds, 3),
        "notes": result.notes,
        "metrics": compute_metrics(pair_up(dataset, result.predictions), result.usage),
    }
