"""LLM drafting: the versioned prompt in `prompts/draft.yaml`, the customer's history, and the model call.

The model sees only the draft's facts and the customer's earlier touches and replies;
its text then goes through the same guardrails as a template (see `compose`). Replies
are customer-supplied text: they are passed as quoted data, and the prompt says so.
"""

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from openai import OpenAIError
from pydantic import BaseModel, ConfigDict

from copilot.classify.chatmodel import log_call, make_chat_model
from copilot.classify.prompts import read_prompt_file
from copilot.config import Settings
from copilot.drafting.facts import DraftFacts
from copilot.drafting.render import long_date, money
from copilot.errors import CopilotError
from copilot.redact import redact
from copilot.resources import prompts_dir
from copilot.store import Store

PURPOSE = "draft"
HISTORY_LIMIT = 6
REPLY_CHARS = 1200
_SIGN_OFF = re.compile(
    r"^(best|kind|warm)?\s*regards|^sincerely|^thanks(,| again)|^thank you,|^cheers|^mit freundlichen|^viele grüße"
    r"|^cordialement|^bien à vous|^saludos|^atentamente|^distinti saluti|^met vriendelijke",
    re.I,
)


_SUBJECT = re.compile(r"^\s*(?:subject|betreff|objet|asunto|oggetto|onderwerp)\s*:\s*(.+)$", re.I)


class LlmDraftError(CopilotError):
    """The model did not produce a usable draft."""


class DraftPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    system: str
    user: str


@dataclass(frozen=True)
class Written:
    subject: str
    body: str
    prompt_version: str


@lru_cache
def load_prompt(path: Path | None = None) -> DraftPrompt:
    """Load and validate the drafting prompt; a broken file is a configuration error."""
    return read_prompt_file(DraftPrompt, path or prompts_dir() / "draft.yaml", "drafting")


def _env() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


def customer_history(store: Store | None, customer_id: str) -> tuple[list[str], list[dict]]:
    """Earlier touches (one line each) and the customer's replies with their current classification."""
    if store is None:
        return [], []
    touches = [
        f"{(r['sent_at'] or '')[:10]}: {r['subject']}"
        for r in store.db.query(
            "select sent_at, subject from messages where direction = 'outbound' and customer_id = ? "
            "order by sent_at desc limit ?", [customer_id, HISTORY_LIMIT])
    ][::-1]  # fmt: skip
    replies = [
        {"date": (r["sent_at"] or "")[:10], "label": r["label"] or "unclassified",
         "text": (r["text_reply"] or r["text_full"] or "").strip()[:REPLY_CHARS]}
        for r in store.db.query(
            "select m.sent_at, m.text_reply, m.text_full, c.label from messages m "
            "left join classifications c on c.message_id = m.id and c.is_current = 1 "
            "where m.direction = 'inbound' and m.customer_id = ? and m.is_auto_reply = 0 "
            "order by m.sent_at desc limit ?", [customer_id, HISTORY_LIMIT])
    ][::-1]  # fmt: skip
    return touches, replies


def prompt_variables(facts: DraftFacts, tone: str, touches: list[str], replies: list[dict]) -> dict:
    invoices = [
        f"{inv.number}: {money(inv.open_balance, inv.currency)} open"
        + (f" of {money(inv.amount, inv.currency)}" if inv.amount != inv.open_balance else "")
        + f", due {long_date(inv.due_date)}"
        + (f", {inv.days_overdue} days overdue" if inv.days_overdue > 0 else "")
        + (f", pay at {inv.payment_link}" if inv.payment_link else "")
        for inv in facts.invoices
    ]
    promise = None
    if facts.promise:
        p = facts.promise
        promise = (money(p.amount, p.currency or "") if p.amount is not None else "a payment") + (
            f" by {long_date(p.promised_date)}" if p.promised_date else "")  # fmt: skip
    sender = ", ".join(x for x in (facts.sender.name, facts.sender.title, facts.sender.company) if x)
    return {
        "kind": facts.kind,
        "tone": tone,
        "tier": facts.tier,
        "segment": facts.segment,
        "customer_name": facts.customer_name,
        "greeting": facts.contact_name or f"{facts.customer_name} team",
        "today": long_date(facts.as_of),
        "sender": sender,
        "pay_by_date": long_date(facts.pay_by_date) if facts.pay_by_date else None,
        "suspension_date": long_date(facts.suspension_date) if facts.suspension_date else None,
        "offer_payment_plan": facts.offer_payment_plan,
        "promise": promise,
        "request": (facts.request.kind or "information") if facts.request else None,
        "invoices": invoices,
        "totals": [f"Total open: {money(v, c)}" for c, v in facts.totals().items()] if len(invoices) > 1 else [],
        "touches": touches,
        "replies": replies,
    }


def parse_reply(text: str) -> tuple[str, str]:
    """Split the model's answer into subject and body, dropping code fences and any sign-off it added."""
    head = text.strip().strip("`").strip().splitlines()
    # Small models sometimes put a word or two before the subject; look at the first few lines only.
    found = next(((n, m) for n, m in enumerate(map(_SUBJECT.match, head[:4])) if m), None)
    if found is None:
        raise LlmDraftError("the answer has no 'Subject:' line at the top")
    at, match = found
    lines = "\n".join(head[at + 1 :]).strip().splitlines()
    for i, line in enumerate(lines):
        if _SIGN_OFF.match(line.strip()) and i >= len(lines) - 6:
            lines = lines[:i]
            break
    body = "\n".join(lines).strip()
    if not body:
        raise LlmDraftError("the answer has no body")
    return match.group(1).strip(), body


def draft_with_llm(
    store: Store | None,
    facts: DraftFacts,
    settings: Settings,
    *,
    tone: str = "standard",
    chat_model: BaseChatModel | None = None,
) -> Written:
    """Ask the model for a draft; logs tokens and cost; raises LlmDraftError on any failure."""
    prompt = load_prompt()
    touches, replies = customer_history(store, facts.customer_id)
    user = _env().from_string(prompt.user).render(**prompt_variables(facts, tone, touches, replies))
    model = chat_model or make_chat_model(settings.llm)
    start = time.perf_counter()
    try:
        answer = model.invoke([SystemMessage(prompt.system), HumanMessage(user)])
    except (OpenAIError, OSError, ValueError) as exc:
        log_call(store, settings.llm, purpose=PURPOSE, prompt_version=prompt.version, outcome="failed",
                 latency_ms=(time.perf_counter() - start) * 1000, error=str(exc)[:500])  # fmt: skip
        raise LlmDraftError(redact(f"the model call failed: {exc}", extra=[settings.llm.api_key])) from None
    usage = getattr(answer, "usage_metadata", None) or {}
    latency = (time.perf_counter() - start) * 1000
    try:
        subject, body = parse_reply(str(answer.content))
    except LlmDraftError as exc:
        log_call(store, settings.llm, purpose=PURPOSE, prompt_version=prompt.version, outcome="failed",
                 input_tokens=usage.get("input_tokens", 0), output_tokens=usage.get("output_tokens", 0),
                 latency_ms=latency, error=str(exc))  # fmt: skip
        raise
    log_call(store, settings.llm, purpose=PURPOSE, prompt_version=prompt.version,
             input_tokens=usage.get("input_tokens", 0), output_tokens=usage.get("output_tokens", 0),
             latency_ms=latency)  # fmt: skip
    return Written(subject, body, prompt.version)
