"""Reply classifiers behind the `Classifier` protocol (keyword, local model, LLM, cascade), the chat-model seam and stored classifications."""

from typing import TYPE_CHECKING

from copilot.config import Settings
from copilot.errors import ConfigError
from copilot.labels import Classifier
from copilot.store import Store

if TYPE_CHECKING:
    from copilot.classify.training import TrainedModel

MODES = ("local", "llm", "auto", "keyword")


def build_classifier(settings: Settings, store: Store | None = None, mode: str | None = None) -> Classifier:
    """The classifier for `mode` (default: the `classifier.mode` setting).

    `auto` works offline too: without an LLM configured it is the local model with the review threshold.
    """
    mode = mode or settings.classifier.mode
    if mode not in MODES:
        raise ConfigError(f"unknown classifier mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "keyword":
        from copilot.classify.keyword import KeywordClassifier

        return KeywordClassifier()

    from copilot.classify.cascade import CascadeClassifier
    from copilot.classify.local import LocalClassifier

    review = settings.classifier.review_threshold
    local = LocalClassifier(local_model(settings, store), review_threshold=review)
    if mode == "local":
        return local
    llm = _llm(settings, store, local) if mode == "llm" or settings.llm.configured else None
    if mode == "llm":
        return llm
    return CascadeClassifier(local, llm, settings.classifier.llm_threshold, review)


def local_model(settings: Settings, store: Store | None) -> "TrainedModel":
    """The one place that picks the local model: the database's active one (`copilot train`), else the shipped one."""
    from copilot.classify.local import load_model
    from copilot.classify.registry import load_active

    trained = load_active(store) if store is not None else None
    return trained or load_model(cache_path=settings.classifier.model_path)


def _llm(settings: Settings, store: Store | None, fallback: Classifier) -> Classifier:
    from copilot.classify.chatmodel import make_chat_model
    from copilot.classify.llm import LlmClassifier
    from copilot.classify.prompts import load_prompt

    examples = None
    if store is not None and settings.llm.corrected_examples:
        from copilot.classify.fewshot import CorrectionExamples

        examples = CorrectionExamples(store, settings.llm.corrected_examples, settings.llm.corrected_example_chars)
    return LlmClassifier(make_chat_model(settings.llm), settings.llm, load_prompt(), fallback, store,
                         review_threshold=settings.classifier.review_threshold, examples=examples)  # fmt: skip


__all__ = ["MODES", "build_classifier", "local_model"]
