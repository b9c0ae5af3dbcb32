"""A one-line English gist of a reply written in another language, so every collector can follow the thread.

The gist is written once, when the reply is classified, and stored with its classification: pages only
read it, so showing a thread never calls a model. The local gist is built from what classification
already extracted: the label in words and its facts (a promised date and amount, a dispute reason, what
was requested, a return date, frustration). When an LLM is configured, the `Gister` asks it for one
sentence instead, through the versioned prompt in `prompts/gist.yaml`; the model sees what the LLM
classifier would see of the reply (the new text, secrets redacted, cut to `llm.max_input_chars`, inside
data delimiters), never a reply that tries to instruct the system, and any failure falls back to the
local gist.
"""

import logging
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, StrictUndefined, TemplateError
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict

from copilot.classify import chatmodel as llm_seam
from copilot.classify.injection import injection_attempt
from copilot.classify.llm import model_text, usage_tokens
from copilot.classify.prompts import neutralise, read_prompt_file
from copilot.config import LlmSettings
from copilot.errors import ConfigError
from copilot.labels import Classification, Reply
from copilot.ledger.money import fmt
from copilot.redact import redact
from copilot.resources import prompts_dir
from copilot.wording import words

if TYPE_CHECKING:
    from copilot.config import Settings
    from copilot.store import Store

log = logging.getLogger(__name__)

LABEL_WORDS: dict[str, str] = {
    "acknowledgement": "Acknowledged the reminder",
    "promise_to_pay": "Promises to pay",
    "paid": "Says it is paid",
    "dispute": "Disputes the invoice",
    "frustration": "Is frustrated with our reminders",
    "request": "Asks for something",
    "auto_reply": "Automatic reply",
    "other": "Unclear; needs a person",
}
REQUEST_WORDS: dict[str, str] = {
    "w9": "a W-9 form", "invoice_copy": "a copy of the invoice", "bank_details": "our bank details",
    "po": "a PO number on the invoice", "portal": "an upload to their supplier portal", "statement": "a statement",
    "contact_change": "a change of billing contact", "other": "something else",
}  # fmt: skip
GIST_CHARS = 200
LOCAL = "local"  # the source of a gist built from the classification, offline
PURPOSE = "gist"  # in llm_calls and the answer cache
MAX_SUBJECT_CHARS = 300
FAILURES_BEFORE_REST = 3  # model failures in a row before the gister stops asking for a while …
REST_FOR = 20  # … this many replies, so an endpoint that is down does not cost a timeout per reply


def _language(text: str | None) -> str | None:
    """The reply's language in words ("German"); None for English or too short to tell."""
    # Imported here: drafting imports routing, which stores gists, so a module-level import would cycle.
    from copilot.drafting.language import LANGUAGE_NAMES, detect_language

    code = detect_language(text)
    return None if code in (None, "en") else LANGUAGE_NAMES.get(code, code)


def _amount(amount: Any, currency: str | None) -> str:
    try:
        return fmt(Decimal(str(amount)), currency)
    except InvalidOperation:
        return f"{currency or ''} {amount}".strip()


def local_gist(classification: dict) -> str:
    """Pure: the label in words plus the extracted facts, e.g. 'Promises to pay EUR 1,200.00 by 2026-11-20'."""
    label = classification.get("label") or "other"
    text = LABEL_WORDS.get(label, label.replace("_", " "))
    if label == "promise_to_pay":
        if classification.get("promise_amount"):
            text += f" {_amount(classification['promise_amount'], classification.get('promise_currency'))}"
        if classification.get("promise_date"):
            text += f" by {str(classification['promise_date'])[:10]}"
    elif label == "dispute" and classification.get("dispute_reason"):
        text += f": {words(classification['dispute_reason'])}"
    elif label == "request" and classification.get("request_kind"):
        text = f"Asks for {REQUEST_WORDS.get(classification['request_kind'], classification['request_kind'])}"
    elif label == "auto_reply" and classification.get("return_date"):
        text = f"Out of office until {str(classification['return_date'])[:10]}"
    if classification.get("frustrated") and label != "frustration":
        text += " (frustrated)"
    return " ".join(text.split())


def classification_facts(result: Classification) -> dict:
    """A Classification as the plain fields `local_gist` reads (the shape of a stored row)."""
    return result.model_dump(mode="json", include={"label", "frustrated", "promise_amount", "promise_currency",
                                                   "promise_date", "dispute_reason", "request_kind", "return_date"})  # fmt: skip


def reply_gist(text: str | None, classification: dict | None) -> dict | None:
    """For a reply not written in English: its language and a one-line English gist; None for English or unknown.

    The gist stored with the classification is shown when there is one; an older row without it gets the
    local gist, built here from the row's facts (pure and offline: a page never calls a model).
    """
    language = _language(text) if classification is not None else None
    if language is None:
        return None
    stored = classification.get("gist")
    source = classification.get("gist_source") if stored else LOCAL
    return {"language": language, "gist": stored or local_gist(classification),
            "source": source or LOCAL}  # fmt: skip


# -- the prompt ---------------------------------------------------------------------------------------
_ENV = Environment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)


class GistPrompt(BaseModel):
    """The versioned gist prompt (`prompts/gist.yaml`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    system: str
    user: str

    def render(self, subject: str, email: str) -> tuple[str, str]:
        """The system and user messages; the email cannot close or reopen the delimiters that mark it as data."""
        try:
            user = _ENV.from_string(self.user).render(subject=neutralise(subject), email=neutralise(email)).strip()
        except TemplateError as exc:
            raise ConfigError(f"the gist prompt does not render: {exc}") from None
        return self.system.strip(), user


@lru_cache(maxsize=4)
def load_gist_prompt(path: Path | None = None) -> GistPrompt:
    """Read and validate the gist prompt; a broken file is a configuration error naming what is wrong."""
    return read_prompt_file(GistPrompt, path or prompts_dir() / "gist.yaml", "gist")


# -- writing the gist when a reply is classified -----------------------------------------------------
@dataclass(frozen=True)
class Gist:
    language: str  # the reply's language in words ("German")
    text: str
    source: str  # "local", or the name of the model that wrote it


def _one_line(content: Any) -> str:
    return " ".join(content.split())[:GIST_CHARS] if isinstance(content, str) else ""


class Gister:
    """Writes the gist of a non-English reply: the configured chat model's sentence, else the local gist.

    Never raises for a model failure: the local gist is always there to fall back on.
    """

    def __init__(self, chat_model: BaseChatModel | None = None, settings: LlmSettings | None = None,
                 store: "Store | None" = None, prompt: GistPrompt | None = None):  # fmt: skip
        self.chat_model = chat_model
        self.settings = settings or LlmSettings()
        self.store = store
        self.prompt = prompt or (load_gist_prompt() if chat_model is not None else None)
        self.failures_in_a_row = 0
        self.resting = 0
        self.usage = {"calls": 0, "cache_hits": 0, "fallbacks": 0}

    @property
    def model_name(self) -> str | None:
        return self.settings.model if self.chat_model is not None else None

    def gist(self, reply: Reply, result: Classification) -> Gist | None:
        """The gist to store with this classification; None for a reply in English or too short to tell."""
        name = _language(reply.text)
        if name is None:
            return None
        local = Gist(name, local_gist(classification_facts(result)), LOCAL)
        # A reply that tries to instruct the system is not sent: the model must not be the one to read it out.
        if self.chat_model is None or injection_attempt(reply.text):
            return local
        written = self._ask(reply)
        if written is None:
            self.usage["fallbacks"] += 1
            return local
        return Gist(name, written, self.settings.model)

    def _ask(self, reply: Reply) -> str | None:
        assert self.chat_model is not None and self.prompt is not None
        if self.resting:
            self.resting -= 1
            return None
        text = model_text(reply.text, self.settings.max_input_chars)
        subject = redact(reply.subject)[:MAX_SUBJECT_CHARS]
        key = llm_seam.cache_key(PURPOSE, self.prompt.version, self.settings.model, f"{subject}\n{text}")
        cached = llm_seam.cache_get(self.store, key) if self.store is not None else None
        if cached and cached.get("gist"):
            self.usage["cache_hits"] += 1
            self._log(0, 0, 0.0, "cache_hit")
            return cached["gist"]
        system, user = self.prompt.render(subject, text)
        started = time.perf_counter()
        try:
            answer = self.chat_model.invoke([SystemMessage(system), HumanMessage(user)])
        except Exception as exc:  # noqa: BLE001 - any model or transport failure falls back to the local gist
            self._failed((time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}")
            return None
        latency = (time.perf_counter() - started) * 1000
        tokens_in, tokens_out = usage_tokens(answer)
        line = _one_line(answer.content)
        if not line or injection_attempt(line):
            why = "the answer was empty" if not line else "the answer reads like an instruction to the system"
            self._failed(latency, why, tokens_in, tokens_out, outcome="invalid")
            return None
        self.failures_in_a_row = 0
        self._log(tokens_in, tokens_out, latency, "ok")
        if self.store is not None:
            llm_seam.cache_put(self.store, key, PURPOSE, self.prompt.version, self.settings.model, {"gist": line})
        return line

    def _failed(self, latency: float, error: str, tokens_in: int = 0, tokens_out: int = 0, outcome: str = "failed") -> None:
        self._log(tokens_in, tokens_out, latency, outcome, error)
        log.warning("the model wrote no gist, using the local one: %s", redact(error, extra=[self.settings.api_key]))
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= FAILURES_BEFORE_REST:
            self.failures_in_a_row = 0
            self.resting = REST_FOR

    def _log(self, tokens_in: int, tokens_out: int, latency: float, outcome: str, error: str | None = None) -> None:
        assert self.prompt is not None
        if outcome != "cache_hit":
            self.usage["calls"] += 1
        llm_seam.log_call(self.store, self.settings, purpose=PURPOSE, prompt_version=self.prompt.version,
                          input_tokens=tokens_in, output_tokens=tokens_out, latency_ms=latency, outcome=outcome,
                          error=error)  # fmt: skip


def build_gister(settings: "Settings", store: "Store | None" = None) -> Gister:
    """The gister for these settings: the configured LLM when there is one, else the local gist alone.

    A team that set the classifier to `local` keeps its replies away from any model, so gists stay local too.
    """
    if not settings.llm.configured or settings.classifier.mode == "local":
        return Gister()
    try:
        model = llm_seam.make_chat_model(settings.llm)
    except ConfigError as exc:  # e.g. the client is not installed: gists stay local, classification goes on
        log.warning("gists are written locally: %s", exc)
        return Gister()
    return Gister(model, settings.llm, store)


def carried_gist(previous: dict | None, text: str | None, result: Classification) -> Gist | None:
    """The gist for a label a person corrected, written without a model call (a correction is a web request).

    A gist the model wrote summarises the customer's words, which the correction does not change, so it is
    kept; a local gist is built again from the corrected label and facts.
    """
    name = _language(text)
    if name is None:
        return None
    if previous and previous.get("gist") and previous.get("gist_source") not in (None, LOCAL):
        return Gist(name, previous["gist"], previous["gist_source"])
    return Gist(name, local_gist(classification_facts(result)), LOCAL)
