"""Fixtures for the evaluation harness: a hand-scored ten-reply set and a classifier that replays answers."""

import json
from pathlib import Path

import pytest

from copilot.errors import ClassifierError
from copilot.evaluation.dataset import LabelledReply, load_dataset
from copilot.evaluation.predictions import Prediction
from copilot.labels import Classification, Reply

HERE = Path(__file__).resolve().parent
SMALL = HERE / "fixture_small.jsonl"
SMALL_PREDICTIONS = HERE / "fixture_small_predictions.jsonl"


class ReplayClassifier:
    """Answers each reply with a scripted prediction, looked up by its text."""

    name = "replay"

    def __init__(self, dataset: list[LabelledReply], predictions: list[Prediction], fail_on: set[str] = frozenset()):
        by_id = {p.id: p for p in predictions}
        self.answers = {g.text: by_id[g.id] for g in dataset}
        self.fail_on = {g.text for g in dataset if g.id in fail_on}
        self.seen: list[Reply] = []

    def classify(self, reply: Reply) -> Classification:
        self.seen.append(reply)
        if reply.text in self.fail_on:
            raise ClassifierError("model timed out")
        p = self.answers[reply.text]
        return Classification(label=p.label, confidence=p.confidence, frustrated=p.frustrated, promise_date=p.promise_date,
                              evidence=p.evidence, needs_review=p.needs_review, source="local")  # fmt: skip


@pytest.fixture
def small() -> list[LabelledReply]:
    return load_dataset(SMALL)


@pytest.fixture
def small_predictions() -> list[Prediction]:
    return [Prediction.model_validate(json.loads(line)) for line in SMALL_PREDICTIONS.read_text().splitlines()]


@pytest.fixture
def replay(small, small_predictions) -> ReplayClassifier:
    return ReplayClassifier(small, small_predictions)
