"""Pure scoring functions over (labelled reply, prediction) pairs.

Alternates: a prediction that names one of a reply's alternates counts as correct. For the
per-class scores and the confusion matrix such a reply is counted under the label that was
predicted, so that accuracy equals the matrix diagonal; strict accuracy ignores alternates.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.errors import CopilotError
from copilot.evaluation.dataset import LabelledReply
from copilot.evaluation.predictions import Prediction
from copilot.labels import LABELS, Label

Pair = tuple[LabelledReply, Prediction]


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int  # replies whose (effective) gold label is this class
    predicted: int  # replies predicted as this class


def pair_up(gold: Sequence[LabelledReply], predictions: Sequence[Prediction]) -> list[Pair]:
    """Match predictions to labelled replies by id; every reply needs exactly one prediction."""
    by_id = {p.id: p for p in predictions}
    missing = [g.id for g in gold if g.id not in by_id]
    extra = set(by_id) - {g.id for g in gold}
    if missing or extra or len(by_id) != len(predictions):
        raise CopilotError(
            f"predictions do not match the dataset: {len(missing)} missing, {len(extra)} unknown, "
            f"{len(predictions) - len(by_id)} repeated ids"
        )
    return [(g, by_id[g.id]) for g in gold]


def is_correct(gold: LabelledReply, pred: Prediction) -> bool:
    """The predicted label is the label or one of its alternates."""
    return pred.label in gold.accepted


def effective_label(gold: LabelledReply, pred: Prediction) -> Label:
    """The gold label to score against: the prediction itself when it is an accepted alternate."""
    return pred.label if pred.label in gold.accepted else gold.label


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def accuracy(pairs: Sequence[Pair]) -> float | None:
    """Share of replies whose predicted label is the label or one of its alternates."""
    return _ratio(sum(is_correct(g, p) for g, p in pairs), len(pairs))


def strict_accuracy(pairs: Sequence[Pair]) -> float | None:
    """Share of replies whose predicted label is exactly the primary label."""
    return _ratio(sum(p.label is g.label for g, p in pairs), len(pairs))


def confusion_matrix(pairs: Sequence[Pair], labels: Sequence[str] = LABELS) -> list[list[int]]:
    """Rows are the (effective) gold label, columns the predicted label, in `labels` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in pairs:
        matrix[index[effective_label(g, p).value]][index[p.label.value]] += 1
    return matrix


def per_class(pairs: Sequence[Pair], labels: Sequence[str] = LABELS) -> dict[str, ClassScores]:
    """Precision, recall, F1 and support per label; a score with nothing to divide by is 0."""
    true_pos: Counter[str] = Counter()
    support: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    for g, p in pairs:
        gold_label = effective_label(g, p).value
        support[gold_label] += 1
        predicted[p.label.value] += 1
        if gold_label == p.label.value:
            true_pos[gold_label] += 1
    scores = {}
    for label in labels:
        precision = _ratio(true_pos[label], predicted[label]) or 0.0
        recall = _ratio(true_pos[label], support[label]) or 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = ClassScores(precision, recall, f1, support[label], predicted[label])
    return scores


def macro_f1(scores: dict[str, ClassScores]) -> float | None:
    """Unweighted mean F1 over the labels that occur in the gold set or the predictions."""
    present = [s.f1 for s in scores.values() if s.support or s.predicted]
    return sum(present) / len(present) if present else None


def escalation(pairs: Sequence[Pair]) -> dict[str, float | int | None]:
    """Recall and precision of the escalation rule (frustration label or frustrated flag)."""
    tp = sum(g.escalate and p.escalate for g, p in pairs)
    fn = sum(g.escalate and not p.escalate for g, p in pairs)
    fp = sum(p.escalate and not g.escalate for g, p in pairs)
    return {"recall": _ratio(tp, tp + fn), "precision": _ratio(tp, tp + fp),
            "true_positive": tp, "false_negative": fn, "false_positive": fp, "support": tp + fn}  # fmt: skip


def promise_date_match(pairs: Sequence[Pair]) -> dict[str, float | int | None]:
    """Exact-match rate of the promise date over replies labelled with one."""
    dated = [(g, p) for g, p in pairs if g.promise_date is not None]
    return {"exact_match": _ratio(sum(p.promise_date == g.promise_date for g, p in dated), len(dated)), "n": len(dated)}


def abstain_rate(predictions: Sequence[Prediction]) -> float | None:
    """Share of replies the classifier sent to human review."""
    return _ratio(sum(p.needs_review for p in predictions), len(predictions))


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def by_language(pairs: Sequence[Pair]) -> dict[str, dict[str, float | int | None]]:
    """Accuracy per language, to show where a classifier only works in English."""
    groups: dict[str, list[Pair]] = defaultdict(list)
    for g, p in pairs:
        groups[g.lang or "unknown"].append((g, p))
    return {lang: {"n": len(items), "accuracy": accuracy(items)} for lang, items in sorted(groups.items())}


def by_slice(pairs: Sequence[Pair]) -> dict[str, dict[str, float | int | None]]:
    """Accuracy and escalation per slice, for sets whose replies name the pattern they stand for."""
    groups: dict[str, list[Pair]] = defaultdict(list)
    for g, p in pairs:
        if g.slice:
            groups[g.slice].append((g, p))
    return {name: {"n": len(items), "accuracy": accuracy(items), "escalated": sum(p.escalate for _, p in items),
                   "should_escalate": sum(g.escalate for g, _ in items)}
            for name, items in sorted(groups.items())}  # fmt: skip


def compute_metrics(pairs: Sequence[Pair], usage: dict | None = None) -> dict:
    """Every metric of a scoring run, as a JSON-ready dict."""
    scores = per_class(pairs)
    latencies = [p.latency_ms for _, p in pairs]
    return {
        "n": len(pairs),
        "accuracy": accuracy(pairs),
        "strict_accuracy": strict_accuracy(pairs),
        "macro_f1": macro_f1(scores),
        "per_class": {label: vars(s) for label, s in scores.items()},
        "confusion": {"labels": list(LABELS), "matrix": confusion_matrix(pairs)},
        "escalation": escalation(pairs),
        "promise_date": promise_date_match(pairs),
        "abstain_rate": abstain_rate([p for _, p in pairs]),
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                       "mean": sum(latencies) / len(latencies) if latencies else None},  # fmt: skip
        "errors": sum(p.error is not None for _, p in pairs),
        "usage": usage,
        "by_language": by_language(pairs),
        "by_slice": by_slice(pairs),
    }


# Scores a regression gate may name, all higher-is-better, as paths into compute_metrics' result.
GATE_PATHS: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy",),
    "strict_accuracy": ("strict_accuracy",),
    "macro_f1": ("macro_f1",),
    "escalation_recall": ("escalation", "recall"),
    "escalation_precision": ("escalation", "precision"),
    "promise_date_match": ("promise_date", "exact_match"),
}
for _label in LABELS:
    for _score in ("precision", "recall", "f1"):
        GATE_PATHS[f"{_label}.{_score}"] = ("per_class", _label, _score)


def headline(metrics: dict) -> dict[str, float | None]:
    """The gate-able scores of a run, flattened to names like `macro_f1` or `dispute.f1`."""
    out: dict[str, float | None] = {}
    for name, path in GATE_PATHS.items():
        value = metrics
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        out[name] = value
    return out
