"""Write one draft's text: the LLM when configured, else (or when its text fails a guardrail) the template."""

from dataclasses import dataclass, field

from langchain_core.language_models.chat_models import BaseChatModel

from copilot.config import Settings
from copilot.drafting.facts import DraftFacts
from copilot.drafting.guardrails import Flag, check_draft
from copilot.drafting.render import render_draft
from copilot.policy.model import Policy
from copilot.store import Store


@dataclass
class Composed:
    subject: str
    body: str
    generator: str  # template | llm
    template: str
    prompt_version: str | None = None
    flags: list[dict] = field(default_factory=list)  # each: check, detail, source (llm | template)

    @property
    def clean(self) -> bool:
        """True when the text that will be sent passed every guardrail."""
        return not any(f["source"] == self.generator for f in self.flags)


def _tagged(flags: list[Flag], source: str) -> list[dict]:
    return [{**f.as_dict(), "source": source} for f in flags]


def use_llm(settings: Settings, chat_model: BaseChatModel | None) -> bool:
    """`llm` always (a missing model is then a configuration error), `auto` when a model is configured."""
    mode = settings.drafting.generator
    if mode == "template":
        return False
    return mode == "llm" or chat_model is not None or settings.llm.configured


def compose_draft(
    store: Store | None,
    facts: DraftFacts,
    policy: Policy,
    settings: Settings,
    *,
    tone: str = "standard",
    chat_model: BaseChatModel | None = None,
) -> Composed:
    """The draft's subject and body with guardrail flags; an LLM text that fails falls back to the template."""
    limit = policy.drafting.max_body_chars
    rendered = render_draft(facts, tone)
    template_flags = _tagged(check_draft(rendered.subject, rendered.body, facts, limit), "template")
    # The drafting prompt writes English; translated drafts come from the reviewed templates.
    if not use_llm(settings, chat_model) or facts.language != "en":
        return Composed(rendered.subject, rendered.body, "template", rendered.template, flags=template_flags)

    from copilot.drafting.llm_draft import LlmDraftError, draft_with_llm  # langchain-openai is slow to import

    try:
        written = draft_with_llm(store, facts, settings, tone=tone, chat_model=chat_model)
    except LlmDraftError as exc:
        flags = [{"check": "llm", "detail": f"LLM drafting failed: {exc}", "source": "llm"}, *template_flags]
        return Composed(rendered.subject, rendered.body, "template", rendered.template, flags=flags)
    llm_flags = _tagged(check_draft(written.subject, written.body, facts, limit), "llm")
    if llm_flags:
        return Composed(rendered.subject, rendered.body, "template", rendered.template, written.prompt_version,
                        flags=llm_flags + template_flags)  # fmt: skip
    return Composed(written.subject, written.body, "llm", rendered.template, written.prompt_version)
