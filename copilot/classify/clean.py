"""What the model reads of a reply: the new text as intake splits it, less greeting and HTML remnants.

Splitting lives in one place, `copilot.mail.split`, which intake uses too; here it is only called again,
so a stored reply, a labelled one and a pasted one are all cut the same way. The model and the LLM both
see only that part, so an old "we dispute this" in the quoted reminder cannot decide the label of a new
"thanks, we're on it".
"""

import re
from functools import lru_cache

from copilot.mail.split import split_reply, without_greeting


@lru_cache(maxsize=16)  # the model, the evidence picker and the extractors all ask for the same reply
def strip_reply(text: str) -> str:
    """The newly written part of a reply; falls back to the whole text when splitting leaves nothing."""
    return split_reply(text)


# Remnants of HTML mail after its text conversion: rewritten links, image references, style rules, tags,
# entities. Each pattern is bounded, so cleaning stays linear in the text.
_DEBRIS = re.compile(
    r"<!--.{0,5000}?-->|<https?://[^>\s]{0,3000}>|https?://\S{1,3000}|\bwww\.\S{1,300}|\[cid:[^\]\n]{0,200}\]|"
    r"!\[[^\]\n]{0,200}\]\([^)\n]{0,300}\)|\[(?:logo|image\d*|signature_\d+|https?://[^\]\s]{0,300})\]|"
    r"\bstyle=\"[^\"\n]{0,500}\"|</?[a-zA-Z][^<>\n]{0,300}>|"
    r"[\w.#:\\*-]{1,60}(?:\s*,\s*[\w.#:\\*-]{1,60}){0,10}\s*\{[^{}\n]{0,500}\}|&(?:nbsp|amp|lt|gt|quot|#\d{1,5});|"
    r"\bmso-[\w-]{1,40}:[^;}\n]{0,100};?|\S{1,64}@\S{1,100}\.\w{2,10}\b|\*\*",
    re.DOTALL,
)


def clean_debris(text: str) -> str:
    """Text without links, addresses and HTML remnants, whose words say nothing about intent."""
    return _DEBRIS.sub(" ", text.replace("\u00a0", " "))


def body_for_model(text: str) -> str:
    """The new text without greeting words and HTML remnants; a greeting line that carries the message keeps it."""
    lines = [line for line in (clean_debris(ln).strip() for ln in strip_reply(text).split("\n")) if line]
    if lines:
        rest = without_greeting(lines[0])
        lines = ([rest] if rest else []) + lines[1:]
    return "\n".join(lines).strip() or clean_debris(strip_reply(text)).strip() or strip_reply(text)
