"""Making untrusted text safe to show: bidirectional-override controls are made visible.

A customer's name, a subject or an attachment's filename can carry Unicode bidi controls:
`remittance\u202efdp.exe` is displayed as "remittanceexe.pdf". Every place that shows such
text runs it through `neutralise_bidi`, which replaces each control with a visible marker,
so the reader sees the characters in their real order and sees that something was there.
"""

import re

# Embeddings and overrides (U+202A-202E), isolates (U+2066-2069), the marks LRM/RLM (U+200E/F)
# and the Arabic letter mark (U+061C).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def neutralise_bidi(text: str) -> str:
    """The text with every bidi control shown as `[U+XXXX]` instead of acting on the display."""
    if not _BIDI.search(text):
        return text
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
