"""The HTTP path end to end: ChatOpenAI talking to an OpenAI-compatible server, replayed from cassettes.

The cassettes were recorded against a llama.cpp server running a small local model: they prove the wire
format (tools, response_format, usage, error codes), not accuracy. Replay needs no network. To record again,
start such a server on 127.0.0.1:8765 and run with RECORD_CASSETTES=1.
"""

import json
import os
import re
from datetime import date
from pathlib import Path

import pytest
import vcr

from copilot.classify.chatmodel import make_chat_model
from copilot.classify.llm import LlmClassifier
from copilot.classify.prompts import load_prompt
from copilot.config import LlmSettings
from copilot.labels import Label, Reply

CASSETTES = Path(__file__).parent / "cassettes"
RECORDING = os.environ.get("RECORD_CASSETTES") == "1"  # test-only opt-in; CI never sets it
SERVER = "http://127.0.0.1:8765/v1"

LOCAL_PATH = re.compile(r"/[^\s\"']*/site-packages/")


def scrub_paths(response: dict) -> dict:
    """The server's error tracebacks name files on the recording machine; keep only the package part."""
    body = response["body"]["string"]
    text = body.decode() if isinstance(body, bytes) else body
    response["body"]["string"] = LOCAL_PATH.sub("<site-packages>/", text).encode()
    return response


recorder = vcr.VCR(
    before_record_response=scrub_paths,
    cassette_library_dir=str(CASSETTES),
    record_mode="once" if RECORDING else "none",
    match_on=["method", "scheme", "host", "port", "path"],  # not headers: the SDK adds version headers
    filter_headers=["authorization", "openai-organization", "openai-project", "cookie", "set-cookie"],
    decode_compressed_response=True,
)

REPLY = Reply(subject="Re: Payment reminder INV-2026-0366", text="Thanks for the reminder. We will pay INV-2026-0366 on Friday.",
              sent_at=date(2026, 11, 16))  # fmt: skip


def classifier(store, local, method: str, retries: int = 0) -> LlmClassifier:
    settings = LlmSettings(api_key="sk-cassette-not-a-key", base_url=SERVER, model="smollm2-135m-instruct",
                           structured_method=method, max_retries=retries, timeout_seconds=180)  # fmt: skip
    return LlmClassifier(make_chat_model(settings), settings, load_prompt(), local, store, sleep=lambda _s: None)


def request_bodies(cassette) -> list[dict]:
    return [json.loads(r.body) for r in cassette.requests]


def test_function_calling_round_trip(store, local):
    with recorder.use_cassette("function_calling.yaml") as cassette:
        result = classifier(store, local, "function_calling").classify(REPLY)
    body = request_bodies(cassette)[0]
    assert body["tools"][0]["function"]["name"] == "ClassifyAnswer"
    assert body["tool_choice"]["function"]["name"] == "ClassifyAnswer"
    assert "<email>" in body["messages"][-1]["content"]
    assert result.source == "llm" and isinstance(result.label, Label)
    call = next(store.db["llm_calls"].rows)
    assert call["outcome"] == "ok" and call["input_tokens"] > 100 and call["output_tokens"] > 0
    assert result.evidence is None or result.evidence in REPLY.text


def test_json_mode_invalid_answer_is_repaired_then_falls_back(store, local):
    with recorder.use_cassette("json_mode.yaml") as cassette:
        result = classifier(store, local, "json_mode").classify(REPLY)
    bodies = request_bodies(cassette)
    assert bodies[0]["response_format"] == {"type": "json_object"}
    assert len(bodies) == 2 and "could not be used" in bodies[1]["messages"][-1]["content"]
    outcomes = [r["outcome"] for r in store.db["llm_calls"].rows_where(order_by="id")]
    assert outcomes == ["invalid", "failed"]
    assert result.source == "llm_fallback" and result.label is Label.PROMISE_TO_PAY


def test_server_error_is_retried_then_falls_back(store, local):
    """llama.cpp answers json_schema with HTTP 500: retried as a server error, then the local model answers."""
    with recorder.use_cassette("json_schema_500.yaml") as cassette:
        result = classifier(store, local, "json_schema", retries=1).classify(REPLY)
    assert [r["status"]["code"] for r in cassette.responses] == [500, 500]
    assert [r["outcome"] for r in store.db["llm_calls"].rows_where(order_by="id")] == ["retry", "failed"]
    assert result.source == "llm_fallback"


def test_cassettes_hold_no_credentials():
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").lower()
        assert "authorization" not in text and "sk-cassette" not in text, path.name
        assert not LOCAL_PATH.search(text), f"{path.name} names a file on the recording machine"


@pytest.fixture(autouse=True)
def _no_recording_by_accident():
    if not RECORDING:
        for name in ("function_calling.yaml", "json_mode.yaml", "json_schema_500.yaml"):
            assert (CASSETTES / name).is_file(), f"cassette {name} is missing; record it with RECORD_CASSETTES=1"
    yield
