"""The LLM drafting HTTP path (OpenAI-compatible chat completions) replayed from a recorded cassette.

The cassette was recorded once against a small local model served by llama.cpp's
OpenAI-compatible server; the test only replays it, so it needs no network and no key.
To record again: start such a server on 127.0.0.1:18088, then run this file with
RECORD_LLM_CASSETTES=1. Credentials and the server's local model path are scrubbed.
The model is tiny, so its text usually fails a guardrail: what this proves is the
protocol path (request, parsing, token accounting, fallback), not drafting quality.
"""

import json
import os
from pathlib import Path

import vcr

from copilot.config import LlmSettings, Settings
from copilot.drafting.compose import compose_draft
from copilot.drafting.llm_draft import load_prompt
from copilot.policy.model import default_policy
from tests.drafting.test_guardrails import facts

CASSETTE = Path(__file__).parent / "cassettes" / "llm_draft_http.yaml"
BASE_URL = "http://127.0.0.1:18088/v1"
MODEL = "smollm2-135m-instruct"


def _scrub_response(response: dict) -> dict:
    body = response["body"]["string"]
    text = body.decode() if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return response
    if isinstance(data, dict) and "model" in data:
        data["model"] = MODEL  # the server echoes the path of its model file
    response["body"]["string"] = json.dumps(data).encode()
    for name in ("set-cookie", "openai-organization"):
        response["headers"].pop(name, None)
    return response


RECORDER = vcr.VCR(
    record_mode="all" if os.environ.get("RECORD_LLM_CASSETTES") == "1" else "none",
    match_on=["method", "path"],  # not headers: the SDK adds version headers
    filter_headers=["authorization", "api-key", "cookie", "openai-organization"],
    decode_compressed_response=True,
    before_record_response=_scrub_response,
)


def test_llm_drafting_over_http_is_parsed_costed_and_guarded(store):
    settings = Settings(llm=LlmSettings(base_url=BASE_URL, api_key="sk-test-not-a-real-key", model=MODEL,
                                        input_cost_per_million=0.15, output_cost_per_million=0.6))  # fmt: skip
    f = facts(1)
    with RECORDER.use_cassette(str(CASSETTE)) as cassette:
        text = compose_draft(store, f, default_policy(), settings)
    assert len(cassette.requests) == 1
    sent = json.loads(cassette.requests[0].body)
    assert sent["model"] == MODEL and sent["messages"][0]["role"] == "system"
    assert "INV-2026-0343" in sent["messages"][1]["content"]
    (call,) = store.db["llm_calls"].rows
    assert call["purpose"] == "draft" and call["prompt_version"] == load_prompt().version
    assert call["input_tokens"] > 0 and call["output_tokens"] > 0 and call["cost"] > 0
    if text.generator == "llm":
        assert text.flags == [] and text.prompt_version == load_prompt().version
    else:  # the small model's text broke a guardrail (or its format): the template stands in, flagged
        assert text.template == "email/tier1.txt.j2"
        assert text.flags and all(flag["source"] == "llm" for flag in text.flags)
    assert "authorization" not in {k.lower() for k in cassette.requests[0].headers}
