"""Which language to write to a customer in: the contact's own setting, else the language of their replies.

Detection is a small offline count of common function words per language (English, German,
French, Spanish, Dutch): replies to payment reminders are short, but they are full of such
words ("wir", "nous", "hemos", "wij"), and the five languages share few of them.
"""

import re

from copilot.drafting.facts import LANGUAGES
from copilot.store import Store

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "nl": "Dutch"}

_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and you your we our will is are have has this that with for please thanks thank invoice "
                    "payment paid be it of to on by not can could would".split()),
    "de": frozenset("der die das und ist nicht wir ich sie ihr ihre ihnen uns unsere bitte danke rechnung zahlung "
                    "wird werden haben hat mit auf für bis zu den dem des ein eine einer noch schon bereits "
                    "überwiesen bezahlt zahlen grüße freundlichen".split()),
    "fr": frozenset("le la les et est nous vous votre vos notre nos merci facture paiement sera avons avez pour "
                    "avec sur dans une des du au aux pas ce cette bien cordialement payé réglé règlement "
                    "virement bonjour".split()),
    "es": frozenset("el la los las y es nosotros usted su sus nuestro nuestra gracias factura pago será hemos "
                    "para con por una del al no esta este saludos pagado pagaremos transferencia hola que se le lo más "
                    "atentamente ruego semana de".split()),
    "nl": frozenset("de het en is niet wij we ons onze u uw jullie bedankt dank factuur betaling wordt worden "
                    "hebben heeft met op voor tot een van nog al betaald betalen groet vriendelijke "
                    "graag".split()),
}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_HITS = 3


def detect_language(text: str | None) -> str | None:
    """The language the text is most likely written in, or None when it is too short to tell."""
    words = [w.lower() for w in _TOKEN.findall(text or "")]
    if not words:
        return None
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _WORDS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
    if scores[best] < MIN_HITS:
        return None
    runner_up = max(v for lang, v in scores.items() if lang != best)
    return best if scores[best] > runner_up else None


def thread_language(store: Store, customer_id: str, contact_email: str | None = None, replies: int = 3) -> str:
    """The language for a draft: the contact's `language` when set, else that of the customer's latest replies."""
    if contact_email:
        row = store.db.execute("select language from contacts where customer_id = ? and lower(email) = lower(?)",
                               [customer_id, contact_email]).fetchone()  # fmt: skip
        if row and row[0] in LANGUAGES:
            return row[0]
    rows = store.db.execute(
        "select coalesce(text_reply, text_full) from messages where customer_id = ? and direction = 'inbound' "
        "and coalesce(is_auto_reply, 0) = 0 order by coalesce(sent_at, received_at) desc limit ?",
        [customer_id, replies]).fetchall()  # fmt: skip
    for (text,) in rows:  # the newest reply that says enough decides
        found = detect_language(text)
        if found:
            return found
    return "en"
