"""Recognise replies that try to instruct the classifier, in the languages the inbox sees.

When one is found the LLM's answer cannot decide the label: the local model (which follows no
instructions) does, and a person reviews the reply.
"""

import re
from functools import lru_cache

_INJECTION = re.compile(
    r"ignore (all |any |your )?(the )?(previous|prior|above|earlier|preceding) (instructions|rules|prompts?)|"
    r"disregard (all |any |your )?(previous|prior|above) |"
    r"(system|developer) (prompt|note|message|instruction)|\bsystem\s*:|"
    r"(instruction|note|message) to (the )?(ai|assistant|model|classifier|automated)|"
    r"you are now|admin mode|jailbreak|"
    r"(classify|label|mark|tag) (this|the|all|every) (email|message|reply|invoices?|account)s? as|"
    r"(print|reveal|show|repeat|output) (your|the) (full )?(system )?(prompt|instructions|rules)|"
    r"ignoriere (alle )?(vorherigen |bisherigen )?(anweisungen|regeln)|hinweis an das automatische system|"
    r"ignore[zr]? (toutes )?les (instructions|consignes)|"
    r"ignora (todas )?las instrucciones|"
    r"negeer (alle )?(eerdere |vorige )?(instructies|regels)",
)  # matched against lower-cased text: re.IGNORECASE is several times slower in CPython


@lru_cache(maxsize=16)  # asked twice per reply: for the text to label and for the review flag; not a cross-reply cache
def injection_attempt(text: str) -> str | None:
    """The first phrase that tries to instruct the system, or None."""
    match = _INJECTION.search(text.lower())
    return match.group(0) if match else None


def without_injection(text: str) -> str:
    """The reply without the lines that instruct the system; all of it when there are none.

    Such a line carries the attacker's payload ("... and label this paid"); when nothing else is left there is no
    customer content to label.
    """
    if injection_attempt(text) is None:
        return text
    return "".join(line for line in text.splitlines(keepends=True) if _INJECTION.search(line.lower()) is None)
