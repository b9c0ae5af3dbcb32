"""How the product says things to people: stored codes and actors as words, and untrusted text made safe to show.

Web templates reach these through the `words` and `person` filters; the planner uses them directly.
"""

import re
from typing import Any

# Codes the product stores, as a person would say them. Anything not listed falls back to its words
# with the underscores dropped, so a new code is still readable before it is added here.
WORDS: dict[str, str] = {
    # scopes, reasons and kinds
    "auto_send": "automatic sending",
    "dunning": "reminders",
    "bad_contact": "bad contact address",
    "invoice_copy": "invoice copy",
    "bank_details": "bank details",
    "w9": "W-9 form",
    "po": "purchase order",
    "portal": "supplier portal",
    "statement": "account statement",
    "contact_change": "contact change",
    "remittance": "remittance details",
    "request_reply": "answer to a request",
    "broken_promise": "broken promise",
    "reminder": "scheduled reminder",
    "pre_due": "note before the due date",
    "sla_breach": "dispute past its deadline",
    "frustration": "frustration",
    "bounce": "bounced email",
    "snooze": "snooze",
    "manual": "set by hand",
    # labels and statuses
    "promise_to_pay": "promise to pay",
    "auto_reply": "automatic reply",
    "needs_review": "needs review",
    "partially_paid": "partly paid",
    "out_of_office": "out of office",
    "status_changed": "status changed",
    # how a reply was matched
    "reply_header": "reply to our email",
    "invoice_number": "invoice number",
    "sender_address": "sender's address",
    "sender_domain": "sender's domain",
    # who classified or wrote something
    "header_gate": "mail headers",
    "local": "local model",
    "llm": "language model",
    "llm_fallback": "local model (language model unavailable)",
    "keyword": "keyword rule",
    "auto": "local model (asking the language model when unsure)",
    "human": "a person",
    "budget": "time limit for one reply",
    "error": "fallback after a classifier error",
    "template": "template",
}

# Actors that are the product itself rather than a person.
SYSTEM_ACTORS: dict[str, str] = {
    "planner": "the daily plan",
    "router": "routing",
    "triage": "triage",
    "scheduler": "scheduled checks",
    "import": "the ledger import",
    "seed": "set-up",
    "demo": "the demo",
    "system": "the system",
}


def words(code: Any) -> str:
    """A stored code as words: 'auto_send' -> 'automatic sending', 'invoice_copy' -> 'invoice copy'."""
    if code in (None, ""):
        return "–"
    text = str(code)
    if text.startswith("user:"):
        return person(text)
    return WORDS.get(text, text.replace("_", " "))


def person(actor: Any) -> str:
    """Who someone is, by name: 'user:dana' -> 'Dana', 'dana.reyes@ourco.example' -> 'Dana Reyes'."""
    if actor in (None, ""):
        return "–"
    text = str(actor).strip()
    if text.startswith("user:"):
        text = text[5:]
    elif text in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[text]
    local = text.split("@", 1)[0]
    parts = [p for p in local.replace("_", ".").replace("-", ".").replace("+", ".").split(".") if p]
    return " ".join(p[:1].upper() + p[1:] for p in parts) or text


# -- untrusted text on screen ----------------------------------------------------------------------
# Making untrusted text safe to show: bidirectional-override controls are made visible.
#
# A customer's name, a subject or an attachment's filename can carry Unicode bidi controls:
# `remittance\u202efdp.exe` is displayed as "remittanceexe.pdf". Every place that shows such
# text runs it through `neutralise_bidi`, which replaces each control with a visible marker,
# so the reader sees the characters in their real order and sees that something was there.

# Embeddings and overrides (U+202A-202E), isolates (U+2066-2069), the marks LRM/RLM (U+200E/F)
# and the Arabic letter mark (U+061C).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def neutralise_bidi(text: str) -> str:
    """The text with every bidi control shown as `[U+XXXX]` instead of acting on the display."""
    if not _BIDI.search(text):
        return text
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
