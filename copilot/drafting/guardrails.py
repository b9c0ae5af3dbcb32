"""Guardrails: pure checks that any draft (templated, LLM-written or edited) states only ledger facts.

Amounts, invoice numbers and dates are parsed out of the text and compared with the
draft's facts; the payment links must be present; no placeholder may be left; no
threat of suspension, legal action or a collection agency before Tier 4; and the
body must fit the length bound. Each failure is a `Flag` naming the check and why.
"""

import re
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from copilot.drafting.facts import DraftFacts
from copilot.ledger.money import CURRENCIES


@dataclass(frozen=True)
class Flag:
    check: str  # amount | invoice_number | date | payment_link | placeholder | threat | length | empty
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


SYMBOLS: dict[str, frozenset[str]] = {
    "$": frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}),
    "US$": frozenset({"USD"}),
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "¥": frozenset({"JPY", "CNY"}),
    "CHF": frozenset({"CHF"}),
}
# Currency codes are matched as any three capitals and then looked up, which keeps the scan fast.
_CUR = r"US\$|[$€£¥]|[A-Z]{3}"
# A number with optional thousands groups (",", ".", "'", space or no-break space) and decimals.
_NUM = r"\d{1,3}(?:[,.'\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<cur>{_CUR})\s?(?P<num>{_NUM})(?![\d%])")
_AMOUNT_AFTER = re.compile(rf"(?<![\d.,])(?P<num>{_NUM})\s?(?P<cur>{_CUR})(?![A-Za-z])")
_AMOUNT_BARE = re.compile(r"(?<![\d.,])(?P<num>\d{1,3}(?:[,.]\d{3})*[.,]\d{2})(?![\d%])")

_URL = re.compile(r"https?://\S+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUM_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")
MONTHS: dict[str, int] = {}
for _names in (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "januari februari maart april mei juni juli augustus september oktober november december",
):
    for _i, _m in enumerate(_names.split(), start=1):
        MONTHS.setdefault(_m, _i)
_MONTH = r"[^\W\d_]{3,10}"  # any word; looked up in MONTHS afterwards
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?({_MONTH})\.?\s+(?:de\s+)?(\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)

PLACEHOLDERS = re.compile(
    r"\{\{|\}\}|\{%|%\}|\[\s*[A-Z][A-Z _]{1,30}\s*\]|<\s*(?:insert|name|your|customer|amount|date)\b|\{[a-z_]+\}"
    r"|(?-i:\bXXX+\b|\bTBD\b|\bTODO\b)|lorem ipsum|%s\b",
    re.I,
)

# Words that threaten suspension, legal action or a collection agency, in the languages customers write in.
# "*" marks a stem ("suspen*" catches suspend, suspended, suspension); other terms match whole words.
THREATS: dict[str, tuple[str, ...]] = {
    "en": ("suspen*", "legal action", "legal proceedings", "lawsuit*", "sue you", "attorney*", "lawyer*",
           "solicitor*", "court", "courts", "collection agenc*", "collections agenc*", "debt collect*",
           "credit bureau*", "terminat* your", "terminat* the account", "terminat* service", "cut off",
           "disconnect*", "shut off"),
    "de": ("sperr*", "gesperrt", "rechtliche schritte", "gerichtlich*", "anwalt", "anwält*", "inkasso*",
           "mahnbescheid*", "mahnverfahren*", "klage"),
    "fr": ("suspen*", "poursuite*", "action en justice", "avocat*", "huissier*", "recouvrement*",
           "contentieux", "tribunal", "mise en demeure"),
    "es": ("suspen*", "acciones legales", "acción legal", "abogado*", "agencia de cobro*", "cobro judicial",
           "tribunal*", "demanda judicial"),
    "it": ("sospen*", "azioni legali", "avvocat*", "recupero crediti", "tribunale"),
    "nl": ("opschort*", "blokker*", "juridische stappen", "advocaat", "incasso*", "deurwaarder*", "rechter"),
    "pt": ("suspen*", "ação judicial", "advogado*", "agência de cobrança", "tribunal"),
}


def _term(word: str) -> str:
    pattern = r"\w*".join(re.escape(part) for part in word.split("*"))
    return pattern if word.endswith("*") else pattern + r"(?!\w)"


_THREAT = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted({_term(w) for ws in THREATS.values() for w in ws}, key=len, reverse=True)) + ")",
    re.I,
)


def parse_number(text: str) -> Decimal | None:
    """'18,250.00', '18.250,00', "18'250.00", '18 250,00' and '375' as Decimal; None if it is not a number."""
    digits = re.sub(r"[\s\u00a0\u202f']", "", text)
    if "," in digits and "." in digits:
        decimal_sep = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif digits.count(",") == 1 and re.search(r",\d{1,2}$", digits):
        decimal_sep = ","
    elif digits.count(".") == 1 and re.search(r"\.\d{1,2}$", digits):
        decimal_sep = "."
    else:
        decimal_sep = ""
    thousands = {",", "."} - {decimal_sep}
    for sep in thousands:
        digits = digits.replace(sep, "")
    if decimal_sep == ",":
        digits = digits.replace(",", ".")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """Replace matches with spaces so later scans do not see their digits."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _date_matches(text: str) -> list[tuple[re.Match[str], list[tuple[int, int, int]]]]:
    """Every full date with its (year, month, day) readings; a numeric d/m/y reads two ways."""
    out: list[tuple[re.Match[str], list[tuple[int, int, int]]]] = []
    for m in _ISO_DATE.finditer(text):
        out.append((m, [(int(m.group(1)), int(m.group(2)), int(m.group(3)))]))
    for m in _NUM_DATE.finditer(text):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        out.append((m, [(y, b, a), (y, a, b)]))
    for m in _DAY_MONTH_YEAR.finditer(text):
        if m.group(2).lower() in MONTHS:
            out.append((m, [(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))]))
    for m in _MONTH_DAY_YEAR.finditer(text):
        if m.group(1).lower() in MONTHS:
            out.append((m, [(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2)))]))
    return out


def _days(readings: list[tuple[int, int, int]]) -> set[date]:
    days = set()
    for y, m, d in readings:
        try:
            days.add(date(y, m, d))
        except ValueError:
            pass
    return days


def found_dates(text: str) -> list[tuple[str, set[date]]]:
    """Each full date in the text with the days it can mean."""
    return [(m.group(0), _days(readings)) for m, readings in _date_matches(text)]


def _split_dates(text: str) -> tuple[list[tuple[str, set[date]]], str]:
    """The dates in the text, and the text with them blanked out (so their digits are not read as money)."""
    matches = _date_matches(text)
    chars = list(text)
    for m, _ in matches:
        chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return [(m.group(0), _days(readings)) for m, readings in matches], "".join(chars)


def found_amounts(text: str) -> list[tuple[str, frozenset[str] | None, Decimal]]:
    """Money in the text as (raw, possible currencies or None when unstated, value)."""
    out: list[tuple[str, frozenset[str] | None, Decimal]] = []
    for pattern in (_AMOUNT_BEFORE, _AMOUNT_AFTER):
        found = [m for m in pattern.finditer(text) if m.group("cur") in SYMBOLS or m.group("cur") in CURRENCIES]
        for m in found:
            value = parse_number(m.group("num"))
            if value is not None:
                cur = m.group("cur")
                out.append((m.group(0).strip(), SYMBOLS.get(cur, frozenset({cur})), value))
        for m in reversed(found):
            text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    for m in _AMOUNT_BARE.finditer(text):
        value = parse_number(m.group("num"))
        if value is not None:
            out.append((m.group(0), None, value))
    return out


def _shape(number: str) -> str:
    return "".join(r"\d" if c.isdigit() else "[A-Za-z]" if c.isalpha() else re.escape(c) for c in number)


def found_invoice_numbers(text: str, known: list[str]) -> list[str]:
    """Tokens shaped like the draft's invoice numbers (so a wrong number of the same form is caught)."""
    shapes = sorted({_shape(n) for n in known}, key=len, reverse=True)
    if not shapes:
        return []
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(shapes) + r")(?![\w-])")
    return [m.group(0) for m in pattern.finditer(text)]


def check_draft(subject: str, body: str, facts: DraftFacts, max_chars: int) -> list[Flag]:
    """Every guardrail on one draft; an empty list means it may be sent."""
    flags: list[Flag] = []
    if not body.strip():
        return [Flag("empty", "the body is empty")]
    text = f"{subject}\n{body}"
    if len(body) > max_chars:
        flags.append(Flag("length", f"the body has {len(body)} characters; the limit is {max_chars}"))
    known = facts.invoice_numbers()
    for number in found_invoice_numbers(_blank(text, _URL), known):
        if number not in known:
            flags.append(Flag("invoice_number", f"{number} is not one of this draft's invoices ({', '.join(known)})"))
    scrubbed = _blank(_blank(text, _URL), _EMAIL)
    for number in known:
        scrubbed = scrubbed.replace(number, " " * len(number))
    allowed_dates = facts.allowed_dates()
    dates, undated = _split_dates(scrubbed)
    for raw, days in dates:
        if days and not days & allowed_dates:
            flags.append(Flag("date", f"{raw!r} is not a date from the ledger or the policy"))
    flags += _amount_flags(undated, facts)
    if _asks_for_payment(facts):
        for link in facts.payment_links():
            if link not in text:
                flags.append(Flag("payment_link", f"the payment link {link} is missing"))
        if not facts.payment_links():
            flags.append(Flag("payment_link", "no invoice in this draft has a payment link in the ledger"))
    for m in PLACEHOLDERS.finditer(text):
        flags.append(Flag("placeholder", f"unfilled placeholder {m.group(0)!r}"))
    if facts.tier < 4:
        for m in _THREAT.finditer(text):
            flags.append(Flag("threat", f"{m.group(0)!r} threatens escalation before Tier 4"))
    return flags


def _asks_for_payment(facts: DraftFacts) -> bool:
    """A reply that confirms a full credit or a void asks for nothing, so it needs no payment link."""
    if facts.kind != "dispute_reply" or facts.dispute is None:
        return True
    return facts.dispute.outcome == "stands" or bool(facts.dispute.remaining and facts.dispute.remaining > 0)


def _amount_flags(text: str, facts: DraftFacts) -> list[Flag]:
    allowed = facts.allowed_amounts()
    values = {v for _, v in allowed}
    flags = []
    for raw, currencies, value in found_amounts(text):
        if currencies is None:
            ok = value in values
        else:
            ok = any(cur in currencies and v == value for cur, v in allowed if cur)
        if not ok:
            flags.append(Flag("amount", f"{raw!r} does not match any amount in the ledger for this draft"))
    return flags
