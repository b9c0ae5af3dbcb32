"""Metrics on the ten-reply fixture, every number worked out by hand (see the comments)."""

import pytest

from copilot.errors import CopilotError
from copilot.evaluation.metrics import (
    abstain_rate,
    compute_metrics,
    escalation,
    headline,
    pair_up,
    percentile,
    promise_date_match,
)

# Scored against (effective gold -> predicted):
#   a1 ack->ack   a2 promise->promise (alternate)   p1 promise->promise   p2 promise->ack
#   d1 dispute->dispute   d2 dispute->frustration   f1 frustration->frustration   f2 frustration->other
#   r1 request->request   o1 other->other
# Correct with alternates: all but p2, d2, f2 = 7/10. Strict: a2 is wrong too = 6/10.
HAND_PER_CLASS = {
    # label: (precision, recall, f1, support, predicted)
    "acknowledgement": (1 / 2, 1 / 1, 2 / 3, 1, 2),
    "promise_to_pay": (2 / 2, 2 / 3, 0.8, 3, 2),
    "paid": (0.0, 0.0, 0.0, 0, 0),
    "dispute": (1 / 1, 1 / 2, 2 / 3, 2, 1),
    "frustration": (1 / 2, 1 / 2, 0.5, 2, 2),
    "request": (1.0, 1.0, 1.0, 1, 1),
    "auto_reply": (0.0, 0.0, 0.0, 0, 0),
    "other": (1 / 2, 1 / 1, 2 / 3, 1, 2),
}


@pytest.fixture
def metrics(small, small_predictions):
    return compute_metrics(pair_up(small, small_predictions))


def test_accuracy_counts_alternates_and_strict_does_not(metrics):
    assert metrics["n"] == 10
    assert metrics["accuracy"] == pytest.approx(0.7)
    assert metrics["strict_accuracy"] == pytest.approx(0.6)


@pytest.mark.parametrize("label", list(HAND_PER_CLASS))
def test_per_class_scores(metrics, label):
    precision, recall, f1, support, predicted = HAND_PER_CLASS[label]
    got = metrics["per_class"][label]
    assert got["precision"] == pytest.approx(precision)
    assert got["recall"] == pytest.approx(recall)
    assert got["f1"] == pytest.approx(f1)
    assert (got["support"], got["predicted"]) == (support, predicted)


def test_macro_f1_averages_only_labels_that_occur(metrics):
    # paid and auto_reply never occur: (2/3 + 0.8 + 2/3 + 0.5 + 1 + 2/3) / 6
    assert metrics["macro_f1"] == pytest.approx((2 + 0.8 + 0.5 + 1) / 6)


def test_confusion_matrix_rows_are_gold(metrics):
    labels, matrix = metrics["confusion"]["labels"], metrics["confusion"]["matrix"]
    cell = lambda gold, pred: matrix[labels.index(gold)][labels.index(pred)]  # noqa: E731
    assert cell("promise_to_pay", "promise_to_pay") == 2
    assert cell("promise_to_pay", "acknowledgement") == 1
    assert cell("dispute", "frustration") == 1
    assert cell("frustration", "other") == 1
    assert cell("acknowledgement", "promise_to_pay") == 0  # a2's alternate counts on the diagonal
    assert sum(map(sum, matrix)) == 10
    assert sum(matrix[i][i] for i in range(len(labels))) == 7  # the diagonal is the lenient accuracy


def test_escalation_uses_label_or_flag(metrics):
    # gold escalations: d1 (flag), f1, f2. predicted: d2 (label), f1. TP f1; FN d1, f2; FP d2.
    esc = metrics["escalation"]
    assert (esc["true_positive"], esc["false_negative"], esc["false_positive"], esc["support"]) == (1, 2, 1, 3)
    assert esc["recall"] == pytest.approx(1 / 3)
    assert esc["precision"] == pytest.approx(1 / 2)


def test_promise_dates_abstain_and_latency(metrics):
    assert metrics["promise_date"] == {"exact_match": 0.5, "n": 2}  # p1 right, p2 missing
    assert metrics["abstain_rate"] == pytest.approx(0.2)  # f2 and o1
    assert metrics["latency_ms"] == {"p50": 50, "p95": 100, "mean": 55}
    assert metrics["usage"] is None and metrics["errors"] == 0


def test_accuracy_by_language(metrics):
    assert metrics["by_language"] == {
        "de": {"n": 1, "accuracy": 0.0},
        "en": {"n": 7, "accuracy": pytest.approx(6 / 7)},  # a1 a2 p1 d1 f1 o1 right, f2 wrong
        "es": {"n": 1, "accuracy": 1.0},
        "fr": {"n": 1, "accuracy": 0.0},
    }


def test_scores_by_slice_when_replies_name_one(small, small_predictions, metrics):
    assert metrics["by_slice"] == {}  # the fixture names no slices
    sliced = [r.model_copy(update={"slice": "frustration" if r.id.startswith("f") else "noise"}) for r in small]
    by_slice = compute_metrics(pair_up(sliced, small_predictions))["by_slice"]
    # f1 frustration->frustration (escalated), f2 frustration->other; in "noise" d1 should escalate, d2 did
    assert by_slice["frustration"] == {"n": 2, "accuracy": 0.5, "escalated": 1, "should_escalate": 2}
    assert by_slice["noise"]["n"] == 8 and by_slice["noise"]["accuracy"] == pytest.approx(6 / 8)
    assert by_slice["noise"]["escalated"] == 1 and by_slice["noise"]["should_escalate"] == 1


def test_headline_flattens_gate_names(metrics):
    flat = headline(metrics)
    assert flat["escalation_recall"] == pytest.approx(1 / 3)
    assert flat["promise_date_match"] == 0.5
    assert flat["dispute.recall"] == 0.5


@pytest.mark.parametrize(
    ("values", "p50", "p95"),
    [([5.0], 5.0, 5.0), ([3.0, 1.0], 1.0, 3.0), ([4.0, 1.0, 3.0, 2.0], 2.0, 4.0), ([float(i) for i in range(1, 21)], 10.0, 19.0)],
)
def test_nearest_rank_percentile(values, p50, p95):
    assert percentile(values, 50) == p50
    assert percentile(values, 95) == p95


def test_undefined_scores_are_none(small, small_predictions):
    pairs = [(g, p) for g, p in pair_up(small, small_predictions) if g.id in ("a1", "r1")]
    assert escalation(pairs)["recall"] is None and escalation(pairs)["precision"] is None
    assert promise_date_match(pairs) == {"exact_match": None, "n": 0}
    assert percentile([], 50) is None and abstain_rate([]) is None


def test_predictions_must_match_the_dataset(small, small_predictions):
    with pytest.raises(CopilotError, match="1 missing"):
        pair_up(small, small_predictions[:-1])
    with pytest.raises(CopilotError, match="1 repeated"):
        pair_up(small, [*small_predictions, small_predictions[0]])
