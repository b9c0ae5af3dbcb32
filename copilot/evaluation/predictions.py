"""What a classifier answered for each labelled reply, and the predictions JSONL file."""

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from copilot.evaluation.dataset import write_jsonl
from copilot.labels import Classification, Label


class Prediction(BaseModel):
    """One classifier answer, keyed by the dataset id, with its latency."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: Label
    confidence: float
    frustrated: bool = False
    promise_date: dt.date | None = None
    evidence: str | None = None
    needs_review: bool = False
    latency_ms: float = 0.0
    error: str | None = None  # the classifier failed on this reply; label is `other` then

    @classmethod
    def from_classification(cls, item_id: str, result: Classification, latency_ms: float) -> "Prediction":
        return cls(
            id=item_id,
            label=result.label,
            confidence=result.confidence,
            frustrated=result.frustrated,
            promise_date=result.promise_date,
            evidence=result.evidence,
            needs_review=result.needs_review,
            latency_ms=latency_ms,
        )

    @property
    def escalate(self) -> bool:
        return self.label is Label.FRUSTRATION or self.frustrated


def write_predictions(path: Path, predictions: Iterable[Prediction]) -> None:
    """One JSON object per reply: id, label, confidence, frustrated, promise_date, evidence (and review/latency)."""
    write_jsonl(path, (json.dumps(p.model_dump(mode="json", exclude_none=True), ensure_ascii=False) for p in predictions))
