"""A scripted chat model for LLM pipeline tests: it answers from a queue and records every request."""

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class HttpError(Exception):
    """Looks like an SDK error carrying an HTTP status."""

    def __init__(self, status_code: int):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


class APITimeoutError(Exception):
    """Named like the OpenAI SDK's timeout error."""


def tool_answer(payload: dict, tokens: tuple[int, int] = (120, 30)) -> AIMessage:
    """What an OpenAI-compatible model returns for function calling."""
    return AIMessage(
        content="",
        tool_calls=[{"name": "ClassifyAnswer", "args": payload, "id": "call_1", "type": "tool_call"}],
        usage_metadata={"input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": sum(tokens)},
    )


def json_answer(payload: dict | str, tokens: tuple[int, int] = (120, 30)) -> AIMessage:
    """What a model returns in JSON mode (a string is sent as-is, to script invalid output)."""
    content = payload if isinstance(payload, str) else json.dumps(payload)
    return AIMessage(content=content, usage_metadata={"input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": sum(tokens)})


class ScriptedChatModel(BaseChatModel):
    """Answers each call with the next scripted item: an AIMessage, or an exception to raise."""

    script: list[Any] = Field(default_factory=list)
    requests: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[dict] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):  # with_structured_output(function_calling) needs this
        self.bound.append({"tools": list(tools), **kwargs})
        return self.bind(**kwargs)

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:  # fmt: skip
        self.requests.append(list(messages))
        if not self.script:
            raise AssertionError("the scripted model was called more often than scripted")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return ChatResult(generations=[ChatGeneration(message=item)])
