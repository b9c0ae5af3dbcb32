"""What a classifier answered for each labelled reply, and the predictions JSONL file."""

import datetime as dt
import json
from collections import Counter
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
    source: str | None = None  # which stage answered: header_gate, local, llm, llm_fallback, keyword …
    model: str | None = None
    prompt_version: str | None = None

    @classmethod
    def from_classification(cls, item_id: str, result: Classification, latency_ms: float) -> "Prediction":
        """Keep what scoring needs from a classifier's answer."""
        return cls(
            id=item_id,
            label=result.label,
            confidence=result.confidence,
            frustrated=result.frustrated,
            promise_date=result.promise_date,
            evidence=result.evidence,
            needs_review=result.needs_review,
            latency_ms=latency_ms,
            source=result.source,
            model=result.model,
            prompt_version=result.prompt_version,
        )

    @property
    def escalate(self) -> bool:
        """Routing would escalate this answer: frustration label or frustrated flag."""
        return self.label is Label.FRUSTRATION or self.frustrated


def write_predictions(path: Path, predictions: Iterable[Prediction]) -> None:
    """One JSON object per reply: id, label, confidence, frustrated, promise_date, evidence, then review, latency and origin."""
    write_jsonl(path, (json.dumps(p.model_dump(mode="json", exclude={"error"} if p.error is None else set()), ensure_ascii=False)
                       for p in predictions))  # fmt: skip


def provenance(predictions: Iterable[Prediction]) -> dict[str, dict[str, int]]:
    """How many answers came from each stage, model and prompt version, so runs say what was measured."""
    counts: dict[str, Counter[str]] = {"source": Counter(), "model": Counter(), "prompt_version": Counter()}
    for p in predictions:
        for key, counter in counts.items():
            value = getattr(p, key)
            if value is not None:
                counter[value] += 1
    return {key: dict(counter.most_common()) for key, counter in counts.items()}
