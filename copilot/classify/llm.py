"""The LLM classifier: structured output into `ClassifyAnswer`, with retries, one repair and a local fallback.

Each attempt is logged with its tokens and cost; answers are cached by (prompt version, model, normalised
text), and only the stripped reply, cut to `llm.max_input_chars`, is ever sent.
"""

import logging
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from copilot.classify import chatmodel as llm_seam
from copilot.classify.clean import strip_reply
from copilot.classify.facts import fill_facts
from copilot.classify.fewshot import CorrectedExample, CorrectionExamples
from copilot.classify.gates import apply_gates
from copilot.classify.injection import guard, injection_attempt
from copilot.classify.prompts import ClassifyPrompt
from copilot.classify.schema import ClassifyAnswer
from copilot.config import LlmSettings
from copilot.labels import Classification, Classifier, Reply
from copilot.redact import redact
from copilot.store import Store

log = logging.getLogger(__name__)

PURPOSE = "classify"
_TRANSIENT_NAMES = {"APITimeoutError", "APIConnectionError", "TimeoutException", "ReadTimeout", "ConnectTimeout", "ConnectError"}


def is_transient(exc: BaseException) -> bool:
    """Timeouts, dropped connections, 429 and 5xx are worth another try; other errors are not."""
    if isinstance(exc, TimeoutError | ConnectionError) or type(exc).__name__ in _TRANSIENT_NAMES:
        return True
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    return isinstance(status, int) and (status == 429 or 500 <= status < 600)


def model_text(text: str, max_chars: int) -> str:
    """The part of a reply any model may see: the newly written text, with every configured secret and
    credential shape replaced (a reply can quote a link with a token in it), cut to `max_chars`."""
    return redact(strip_reply(text))[:max_chars]


def usage_tokens(raw: Any) -> tuple[int, int]:
    usage = getattr(raw, "usage_metadata", None) or {}
    return int(usage.get("input_tokens", 0) or 0), int(usage.get("output_tokens", 0) or 0)


class LlmClassifier:
    """Header gates, then the chat model; on failure the fallback classifier answers, marked `llm_fallback`."""

    name = "llm"

    def __init__(
        self,
        chat_model: BaseChatModel,
        settings: LlmSettings,
        prompt: ClassifyPrompt,
        fallback: Classifier,
        store: Store | None = None,
        sleep: Callable[[float], None] = time.sleep,
        review_threshold: float = 0.0,
        examples: CorrectionExamples | None = None,
    ):
        self.settings = settings
        self.examples = examples  # this mailbox's corrected replies, offered to the model as precedents
        self.review_threshold = review_threshold
        self.prompt = prompt
        self.fallback = fallback
        self.store = store
        self.sleep = sleep
        self.structured = chat_model.with_structured_output(ClassifyAnswer, method=settings.structured_method, include_raw=True)
        self.usage = {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost": 0.0, "cache_hits": 0, "fallbacks": 0}

    def prepared_text(self, reply: Reply) -> str:
        """What is sent: the new text only, without secrets, cut to the configured length."""
        return model_text(reply.text, self.settings.max_input_chars)

    def classify(self, reply: Reply) -> Classification:
        return guard(self._classify(reply), reply)

    def _classify(self, reply: Reply) -> Classification:
        gated = apply_gates(reply)
        if gated is not None:
            return gated
        text = self.prepared_text(reply)
        corrected = self.examples.similar(text) if self.examples is not None else []
        # The same reply with other precedents is another question: the examples are part of the cache key.
        shown = "".join(f"\n{ex.id}:{ex.label}:{ex.frustrated}" for ex in corrected)
        key = llm_seam.cache_key(PURPOSE, self.prompt.version, self.settings.model, f"{reply.subject}\n{text}{shown}")
        cached = llm_seam.cache_get(self.store, key) if self.store is not None else None
        if cached is not None:
            self.usage["cache_hits"] += 1
            self._log(0, 0, 0.0, "cache_hit")
            return self._finish(ClassifyAnswer.model_validate(cached), reply)
        answer = self._ask(reply, text, corrected)
        if answer is None:
            self.usage["fallbacks"] += 1
            result = self.fallback.classify(reply)
            return result.model_copy(update={"source": "llm_fallback", "prompt_version": self.prompt.version})
        if self.store is not None:
            llm_seam.cache_put(self.store, key, PURPOSE, self.prompt.version, self.settings.model, answer.model_dump(mode="json"))
        return self._finish(answer, reply)

    def _ask(self, reply: Reply, text: str, corrected: list[CorrectedExample]) -> ClassifyAnswer | None:
        """Retries transient failures with backoff and repairs one invalid answer; None means fall back."""
        system, user = self.prompt.render(reply.subject, text, reply.sent_at, corrected)
        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
        repaired = False
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                out = self.structured.invoke(messages)
            except Exception as exc:  # noqa: BLE001  any provider failure must end in the fallback, never stop triage
                latency = (time.perf_counter() - started) * 1000
                if is_transient(exc) and attempt < self.settings.max_retries:
                    self._log(0, 0, latency, "retry", f"{type(exc).__name__}: {exc}")
                    self.sleep(min(8.0, 0.5 * 2**attempt) * (1 + random.random() / 4))
                    attempt += 1
                    continue
                self._log(0, 0, latency, "failed", f"{type(exc).__name__}: {exc}")
                log.warning("LLM classification failed, using the local model: %s", exc)
                return None
            latency = (time.perf_counter() - started) * 1000
            raw, parsed, error = out.get("raw"), out.get("parsed"), out.get("parsing_error")
            tokens_in, tokens_out = usage_tokens(raw)
            if parsed is not None and error is None:
                self._log(tokens_in, tokens_out, latency, "repaired" if repaired else "ok")
                return parsed
            reason = str(error) if error else "the answer did not match the schema"
            if repaired:
                self._log(tokens_in, tokens_out, latency, "failed", f"invalid after repair: {reason}")
                return None
            self._log(tokens_in, tokens_out, latency, "invalid", reason)
            messages = [*messages, AIMessage(content=str(getattr(raw, "content", "") or "")), HumanMessage(self.prompt.render_repair(reason))]
            repaired = True

    def _finish(self, answer: ClassifyAnswer, reply: Reply) -> Classification:
        """Turn the model's answer into a Classification; an injection attempt cannot pick the label."""
        result = Classification(
            label=answer.label,
            frustrated=answer.frustrated,
            confidence=answer.confidence,
            promise_date=answer.promise_date,
            promise_amount=None if answer.promise_amount is None else Decimal(str(answer.promise_amount)),
            promise_currency=answer.promise_currency.upper() if answer.promise_currency else None,
            dispute_reason=answer.dispute_reason,
            request_kind=answer.request_kind,
            source="llm",
            model=self.settings.model,
            prompt_version=self.prompt.version,
        )
        if injection_attempt(reply.text):
            local = self.fallback.classify(reply)
            result = result.model_copy(update={"label": local.label, "confidence": min(result.confidence, local.confidence),
                                               "needs_review": True, "frustrated": local.frustrated})  # fmt: skip
        # The evidence must be the customer's own words; anything else (an invented or leaked quote) is dropped.
        evidence = answer.evidence if answer.evidence and answer.evidence in reply.text else None
        picker = getattr(self.fallback, "evidence", None)
        if evidence is None and callable(picker):
            evidence = picker(reply, result.label)  # the local model's best sentence for the label
        if result.confidence < self.review_threshold:
            result = result.model_copy(update={"needs_review": True})
        return fill_facts(result.model_copy(update={"evidence": None}), reply, evidence)

    def _log(self, tokens_in: int, tokens_out: int, latency_ms: float, outcome: str, error: str | None = None) -> None:
        row = llm_seam.log_call(
            self.store, self.settings, purpose=PURPOSE, prompt_version=self.prompt.version,
            input_tokens=tokens_in, output_tokens=tokens_out, latency_ms=latency_ms, outcome=outcome, error=error,
        )  # fmt: skip
        if outcome != "cache_hit":
            self.usage["calls"] += 1
            self.usage["input_tokens"] += tokens_in
            self.usage["output_tokens"] += tokens_out
            self.usage["cost"] += row["cost"]
