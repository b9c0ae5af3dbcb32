"""What the model reads of a reply: the new text as intake splits it, less greeting and HTML remnants.

Splitting lives in one place, `copilot.mail.split`, which intake uses too; here it is only called again,
so a stored reply, a labelled one and a pasted one are all cut the same way. The model and the LLM both
see only that part, so an old "we dispute this" in the quoted reminder cannot decide the label of a new
"thanks, we're on it".
"""

from functools import lru_cache

from copilot.mail.split import clean_debris, split_reply, without_greeting


@lru_cache(maxsize=16)  # the model, the evidence picker and the extractors all ask for the same reply
def strip_reply(text: str) -> str:
    """The newly written part of a reply; falls back to the whole text when splitting leaves nothing."""
    return split_reply(text)


def body_for_model(text: str) -> str:
    """The new text without greeting words and HTML remnants; a greeting line that carries the message keeps it."""
    lines = [line for line in (clean_debris(ln).strip() for ln in strip_reply(text).split("\n")) if line]
    if lines:
        rest = without_greeting(lines[0])
        lines = ([rest] if rest else []) + lines[1:]
    return "\n".join(lines).strip() or clean_debris(strip_reply(text)).strip() or strip_reply(text)
