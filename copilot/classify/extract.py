"""Offline fact extraction: amounts, dispute reasons, request kinds and evidence quotes.

Date extraction lives in `copilot.classify.dates` and is re-exported here.
"""

import re
from decimal import Decimal, InvalidOperation

from copilot.classify.dates import extract_promise_date, extract_return_date, find_dates, future_commitment

__all__ = [
    "dispute_reason", "extract_amounts", "extract_promise_date", "extract_return_date", "find_dates",
    "first_line", "future_commitment", "request_kind", "sentences",
]  # fmt: skip

_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "chf": "CHF", "us$": "USD", "a$": "AUD", "c$": "CAD"}
_CODES = "USD|EUR|GBP|AUD|CAD|CHF|NZD|SEK|NOK|DKK|PLN|JPY|ZAR|SGD|HKD|MXN|INR"
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)"
_AMOUNT_RE = re.compile(
    rf"(?P<pre>\b(?:{_CODES})|US\$|A\$|C\$|[$€£¥])\s?(?P<num>{_NUMBER})|(?P<num2>{_NUMBER})\s?(?P<post>(?:{_CODES})\b|€|£|\$|euros?\b)",
    re.I,
)


def _to_decimal(raw: str) -> Decimal | None:
    s = raw.replace("\u00a0", " ").replace("\u202f", " ").strip()
    if re.search(r"[.,]\d{1,2}$", s):
        whole, frac = s[:-3 if s[-3] in ".," else -2], s[-2:] if s[-3] in ".," else s[-1:]
    else:
        whole, frac = s, ""
    whole = re.sub(r"[.,\s]", "", whole)
    try:
        return Decimal(f"{whole}.{frac}" if frac else whole)
    except InvalidOperation:
        return None


_TOTAL = re.compile(r"\b(total|in total|insgesamt|gesamtbetrag|au total|montant total|en total|importe total|totaal)\b", re.I)


def extract_amounts(text: str) -> list[tuple[Decimal, str]]:
    """Money amounts with ISO currency codes; a stated total comes first, the rest in the order they appear."""
    found: list[tuple[Decimal, str]] = []
    totals = [m.end() for m in _TOTAL.finditer(text)]
    total_at: int | None = None
    for m in _AMOUNT_RE.finditer(text):
        if total_at is None and any(0 <= m.start() - end <= 40 for end in totals):
            total_at = len(found)
        sign = (m.group("pre") or m.group("post") or "").lower()
        currency = _CURRENCY_SIGNS.get(sign) or ("EUR" if sign.startswith("euro") else sign.upper())
        value = _to_decimal(m.group("num") or m.group("num2"))
        if value is not None and value > 0:
            found.append((value, currency))
    if total_at is not None and total_at < len(found):
        found.insert(0, found.pop(total_at))
    return found


_DISPUTE_REASONS: list[tuple[str, str]] = [
    ("duplicate", r"duplicate|twice|double[- ]?bill|doppelt|en double|duplicad|dubbel"),
    ("cancelled", r"cancel|terminated|gekündigt|storniert|annulé|résili|cancelad|opgezegd|geannuleerd"),
    ("not_delivered", r"never (received|delivered|arrived)|not (been )?delivered|nie geliefert|nicht geliefert|jamais (reçu|livré)|non livré|"
                      r"nunca (recibi|llegó)|no (hemos )?recibido|niet geleverd|nooit ontvangen"),
    ("damaged", r"damaged|defect|broken|faulty|beschädigt|defekt|endommag|défectueu|dañad|defectuos|beschadigd|kapot"),
    ("quantity", r"quantit|\d+ (units?|licen[cs]es|seats|pcs|pieces|hours|stück|lizenzen|horas|uren)|menge|quantité|cantidad|aantal"),
    ("tax", r"\bvat\b|\btax\b|mwst|ust\b|tva\b|\biva\b|\bbtw\b"),
    ("pricing", r"pric|rate|discount|quote|quoted|agreed|preis|rabatt|angebot|prix|tarif|remise|devis|precio|descuento|"
                r"presupuesto|prijs|korting|offerte"),
    ("wrong_entity", r"wrong (entity|company|legal entity|customer|address)|falsche (firma|adresse|anschrift)|mauvaise (entité|adresse)|"
                     r"(entidad|dirección) (incorrecta|equivocada)|verkeerde (entiteit|adres)"),
    ("po", r"\bpo\b|purchase order|bestellnummer|bon de commande|orden de compra|inkooporder"),
    ("amount", r"amount|overcharg|too (much|high)|betrag|montant|importe|bedrag"),
]
_DISPUTE_RES = [(name, re.compile(p)) for name, p in _DISPUTE_REASONS]  # used on lower-cased text

_REQUEST_KINDS: list[tuple[str, str]] = [
    ("w9", r"\bw-?9\b|\bw-?8|tax (form|id)|steuernummer|numéro de tva|nif\b|cif\b"),
    ("bank_details", r"bank (details|account)|iban|swift|bic\b|routing number|bankverbindung|bankgegevens|coordonnées bancaires|rib\b|"
                     r"datos bancarios|cuenta bancaria|rekeningnummer"),
    ("portal", r"portal|upload|coupa|ariba|tungsten|basware|plattform|plateforme|plataforma"),
    ("po", r"\bpo\b|p\.o\.|purchase order|bestellnummer|bon de commande|orden de compra|pedido|inkooporder|ordernummer"),
    ("statement", r"statement|kontoauszug|saldenbestätigung|relevé|extracto|estado de cuenta|rekeningoverzicht|overzicht"),
    ("contact_change", r"new (address|contact|email)|change (of )?(address|contact)|update (your|the) (records|contact|address)|"
                       r"send (them|it|invoices) to|neue (adresse|anschrift)|nouvelle adresse|nueva dirección|nieuw adres"),
    ("invoice_copy", r"cop(y|ie)|pdf|resend|re-send|kopie|duplikat|copia|reenviar|opnieuw|nochmal|renvoyer"),
]
_REQUEST_RES = [(name, re.compile(p)) for name, p in _REQUEST_KINDS]  # used on lower-cased text


def dispute_reason(text: str) -> str | None:
    """A short category for what is contested (duplicate, pricing, quantity, ...), or 'other'."""
    low = text.lower()
    return next((name for name, rx in _DISPUTE_RES if rx.search(low)), "other")


def request_kind(text: str) -> str | None:
    """What the customer needs before paying (w9, invoice_copy, bank_details, po, portal, statement, contact_change)."""
    low = text.lower()
    return next((name for name, rx in _REQUEST_RES if rx.search(low)), "other")


def first_line(text: str) -> str | None:
    """The first non-empty line, as an exact substring, for evidence when nothing better exists."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return None


_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+(?=\s|$)|$)", re.S)  # "0.00" and "e.g." do not end a sentence


def sentences(text: str) -> list[str]:
    """Sentence-sized exact substrings of `text` (a sentence may run over a wrapped line, not over a blank one)."""
    out = []
    for paragraph in _PARAGRAPH.split(text):
        for m in _SENTENCE.finditer(paragraph.strip()):
            s = m.group(0).strip()
            if len(s) >= 3:
                out.append(s[:300].strip())
    return out
