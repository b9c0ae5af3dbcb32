"""The chat-model seam: build a LangChain chat model from settings, log usage and cost, cache answers.

Classification and drafting both go through here, so every call is costed the same way.
"""

import hashlib
import time
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.language_models.chat_models import BaseChatModel

from copilot import clock, redact
from copilot.config import LlmSettings
from copilot.errors import ConfigError
from copilot.store import Store, dumps, loads

T = TypeVar("T")


def make_chat_model(settings: LlmSettings) -> BaseChatModel:
    """ChatOpenAI pointed at any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp)."""
    if not settings.configured:
        raise ConfigError("no LLM is configured (set COPILOT_LLM__API_KEY, and COPILOT_LLM__BASE_URL for a local server)")
    try:
        from langchain_openai import ChatOpenAI  # imported here: slow to import, and only needed online
    except ImportError:
        raise ConfigError("an LLM is configured but its client is not installed: pip install 'collector-copilot[llm]'") from None

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        timeout=settings.timeout_seconds,
        max_retries=0,  # retries are ours, so each attempt is logged
        temperature=0,
    )


def normalized_hash(text: str) -> str:
    """Hash of the text with case, Unicode form and whitespace normalised, for cache keys."""
    norm = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(norm.encode()).hexdigest()


def cache_key(purpose: str, prompt_version: str, model: str, text: str) -> str:
    return f"{purpose}:{prompt_version}:{model}:{normalized_hash(text)}"


def cache_get(store: Store, key: str) -> Any | None:
    row = next(store.db["llm_cache"].rows_where("key = ?", [key]), None)
    return None if row is None else loads(row["response_json"])


def cache_put(store: Store, key: str, purpose: str, prompt_version: str, model: str, value: Any) -> None:
    store.db["llm_cache"].upsert(
        {"key": key, "purpose": purpose, "prompt_version": prompt_version, "model": model,
         "response_json": dumps(value), "created_at": clock.now_iso()},
        pk="key",
    )  # fmt: skip


def call_cost(settings: LlmSettings, input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * settings.input_cost_per_million + output_tokens * settings.output_cost_per_million) / 1e6


def log_call(
    store: Store | None,
    settings: LlmSettings,
    *,
    purpose: str,
    prompt_version: str,
    input_tokens: int = 0,
    output_tokens: int = 0,
    latency_ms: float = 0.0,
    outcome: str = "ok",
    error: str | None = None,
) -> dict:
    """Record one model call's tokens, cost and outcome; returns the row (a provider's error text is redacted first)."""
    row = {
        "at": clock.now_iso(),
        "purpose": purpose,
        "model": settings.model,
        "prompt_version": prompt_version,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost": call_cost(settings, input_tokens, output_tokens),
        "latency_ms": latency_ms,
        "outcome": outcome,
        "error": None if error is None else redact.redact(error, extra=[settings.api_key]),
    }
    if store is not None:
        store.db["llm_calls"].insert(row)
    return row


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1000
