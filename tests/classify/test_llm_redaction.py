"""A provider error that quotes the API key leaves no trace of it in llm_calls or in the log."""

import logging
from datetime import date

from copilot import redact
from copilot.classify.llm import LlmClassifier
from copilot.classify.prompts import load_prompt
from copilot.config import LlmSettings
from copilot.labels import Reply
from tests.classify.fakes import ScriptedChatModel

API_KEY = "sk-proj-Zk8live-provider-key-0123456789"


def test_a_failing_provider_leaves_no_key_in_the_call_log_or_the_log_lines(store, local, caplog):
    redact.install()
    failure = RuntimeError(f"401 Unauthorized: invalid key {API_KEY} (Authorization: Bearer {API_KEY})")
    settings = LlmSettings(api_key=API_KEY, model="m", structured_method="function_calling", max_retries=0)
    clf = LlmClassifier(ScriptedChatModel(script=[failure]), settings, load_prompt(), local, store, sleep=lambda _s: None)
    with caplog.at_level(logging.WARNING):
        result = clf.classify(Reply(subject="Invoice", text="We dispute this invoice, the price is wrong.",
                                    sent_at=date(2026, 11, 16)))  # fmt: skip
    assert result.source == "llm_fallback"
    errors = [r["error"] for r in store.db["llm_calls"].rows]
    assert errors and all(API_KEY not in (e or "") for e in errors)
    assert "401 Unauthorized" in errors[-1]
    assert caplog.records and all(API_KEY not in r.getMessage() for r in caplog.records)
    assert "[redacted]" in caplog.text
