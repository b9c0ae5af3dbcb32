"""The `auto` mode: the local model answers when it is sure, the LLM only when it is not, a person below that."""

from copilot.classify.gates import apply_gates
from copilot.classify.injection import guard
from copilot.classify.local import LocalClassifier
from copilot.labels import Classification, Classifier, Reply


class CascadeClassifier:
    """Gates, then the local model; under `llm_threshold` the LLM (when configured); under `review_threshold` review."""

    name = "auto"

    def __init__(self, local: LocalClassifier, llm: Classifier | None, llm_threshold: float, review_threshold: float):
        self.local = local
        self.llm = llm
        self.llm_threshold = llm_threshold
        self.review_threshold = review_threshold
        self.escalated = 0  # replies handed to the LLM, to show how much the cascade saves

    @property
    def usage(self) -> dict | None:
        return getattr(self.llm, "usage", None)

    def classify(self, reply: Reply) -> Classification:
        gated = apply_gates(reply)
        if gated is not None:
            return guard(gated, reply)
        result = self.local.classify(reply)
        if result.confidence < self.llm_threshold and self.llm is not None:
            self.escalated += 1
            result = self.llm.classify(reply)
        return guard(needs_review(result, self.review_threshold), reply)


def needs_review(result: Classification, review_threshold: float) -> Classification:
    """Mark results the product should not act on alone."""
    if result.confidence < review_threshold and not result.needs_review:
        return result.model_copy(update={"needs_review": True})
    return result
