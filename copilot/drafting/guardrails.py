"""Guardrails: pure checks that any draft (templated, LLM-written or edited) states only ledger facts.

Amounts, invoice numbers and dates are parsed out of the text and compared with the
draft's facts. So are the claims a sentence makes about them: an age ("42 days overdue",
"more than two months past due") must hold for every invoice the sentence is about, and a
total must be the sum of the listed open balances in its currency. The payment links must be present; no placeholder may be left; no
threat of suspension, legal action or a collection agency before Tier 4; and the
body must fit the length bound. Each failure is a `Flag` naming the check and why.
"""

import re
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from copilot.drafting.facts import DraftFacts, InvoiceFact, add_months
from copilot.ledger.money import CURRENCIES


@dataclass(frozen=True)
class Flag:
    check: str  # amount | total | age | invoice_number | date | payment_link | placeholder | threat | length | empty
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
    flags += _sentence_flags(text, undated, facts)
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


def _known(currencies: frozenset[str] | None, value: Decimal, allowed: set[tuple[str | None, Decimal]]) -> bool:
    if currencies is None:
        return any(v == value for _, v in allowed)
    return any(cur in currencies and v == value for cur, v in allowed if cur)


def _asks_for_payment(facts: DraftFacts) -> bool:
    """A reply that confirms a full credit or a void asks for nothing, so it needs no payment link."""
    if facts.kind != "dispute_reply" or facts.dispute is None:
        return True
    return facts.dispute.outcome == "stands" or bool(facts.dispute.remaining and facts.dispute.remaining > 0)


def _amount_flags(text: str, facts: DraftFacts) -> list[Flag]:
    allowed = facts.allowed_amounts()
    flags = []
    for raw, currencies, value in found_amounts(text):
        if not _known(currencies, value, allowed):
            flags.append(Flag("amount", f"{raw!r} does not match any amount in the ledger for this draft"))
    return flags


# -- claims a sentence makes: ages and totals ----------------------------------------------------
# Sentences are found on the original text; the scans run on the same span of the scrubbed text
# (dates, links and invoice numbers blanked, same length), so digits of a date are never read as days.
# A full stop after a one- or two-digit day ("fällig am 5. August", "op 5. mei") belongs to a date, not a sentence end.
_SENTENCE_END = re.compile(r"\n|(?<!\s\d)(?<!\s\d\d)\.(?=\s|$)|[!?](?=\s|$)")

NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45,
    "sixty": 60, "ninety": 90,
}  # fmt: skip
_UNITS: dict[str, str] = {}
for _unit, _words in {
    "day": "day days tag tage tagen jour jours día días dia dias dag dagen giorno giorni",
    "week": "week weeks woche wochen semaine semaines semana semanas weken settimana settimane",
    "month": "month months monat monate monaten mois mes meses maand maanden mese mesi",
    "year": "year years jahr jahre jahren an ans año años jaar jaren anno anni",
}.items():
    for _w in _words.split():
        _UNITS[_w] = _unit
_QTY = r"(?P<n>\d{1,4}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
# "more than", "over", "at least" and their counterparts in the languages customers write in.
_MORE = (r"(?P<cmp>more than|over|upwards of|in excess of|beyond|at least|über|mehr als|plus de|au-delà de|"
         r"más de|mas de|meer dan|ruim|più di|oltre|mindestens|au moins|al menos|minstens|almeno)")
_THRESHOLD = re.compile(rf"(?<!\w){_MORE}\s+{_QTY}[\s-]+{_UNIT}(?!\w)", re.I)
_HYPHEN_MARK = re.compile(r"(?<!\w)(?P<cmp>past|beyond|over)\s+(?:the\s+)?(?P<n>\d{1,4})-(?P<unit>day)(?!\w)", re.I)
_AGE_WORDS = (r"overdue|past\s+due|past\s+(?:its|the|their)\s+due\s+dates?|after\s+(?:its|the|their)\s+due\s+dates?|late|"
              r"in\s+arrears|outstanding|unpaid|überfällig|fällig|verspätet|en\s+retard|de\s+retard|échu|impayé|"
              r"vencid\w*|de\s+retraso|atrasad\w*|achterstallig|te\s+laat|vervallen|scadut\w*|in\s+ritardo")
_AGE_CONTEXT = re.compile(rf"(?<!\w)(?:{_AGE_WORDS}|open|old|due)(?!\w)", re.I)
# "42 days overdue", "two months past due", "90 Tage überfällig": an age stated outright.
_STATED_AGE = re.compile(rf"(?<![\w-]){_QTY}[\s-]+{_UNIT}\s+(?:\w+\s+){{0,2}}?(?:{_AGE_WORDS})(?!\w)", re.I)
# Words just before "over three months" that make it a span of time to come (a payment plan), not an age.
_FUTURE = re.compile(r"(?<!\w)(?:spread|split|plan|next|within|coming|instal\w*|pay|auf|sur|en)\W+"
                     r"(?:\w+\W+){0,3}$", re.I)
_OLDEST = re.compile(r"(?<!\w)(?:oldest|ältest\w*|plus ancien\w*|más antigu\w*|oudste|più vecchi\w*)(?!\w)", re.I)
_SOME = re.compile(r"(?<!\w)(?:one|some|several|a few|most|two|three) of (?:these|them|the|your)(?!\w)", re.I)
_TOTAL = re.compile(r"(?<!\w)(?:totals?|together|altogether|in all|overall|combined|sum|balance|gesamt\w*|insgesamt|"
                    r"au total|en total|en tout|solde|saldo|in totaal|totaal|totale|complessiv\w*)(?!\w)", re.I)


@dataclass(frozen=True)
class AgeClaim:
    """One statement about how overdue invoices are: `bound` is "exact" or "more" (or "least")."""

    raw: str
    bound: str
    count: int
    unit: str  # day | week | month | year

    def holds(self, inv: InvoiceFact, as_of: date) -> bool:
        if self.unit in ("month", "year"):
            months = self.count * (12 if self.unit == "year" else 1)
            edge = add_months(inv.due_date, months)
            if self.bound == "more":
                return as_of > edge
            # "at least two months" and a plain "two months overdue" both mean the mark has been reached.
            return as_of >= edge
        days = self.count * (7 if self.unit == "week" else 1)
        if self.bound == "more":
            return inv.days_overdue > days
        if self.bound == "least" or self.unit == "week":
            return inv.days_overdue >= days
        return inv.days_overdue == days


def _quantity(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def age_claims(text: str) -> list[AgeClaim]:
    """Every age or threshold the text states about invoices ("more than 90 days", "42 days overdue")."""
    claims: list[AgeClaim] = []
    taken: list[tuple[int, int]] = []
    # "more than two weeks" is an age only beside a word about lateness; "past the 90-day mark" always is.
    patterns = (_THRESHOLD, _HYPHEN_MARK) if _AGE_CONTEXT.search(text) else (_HYPHEN_MARK,)
    for pattern in patterns:
        for m in pattern.finditer(text):
            if _FUTURE.search(text[max(0, m.start() - 30) : m.start()]):
                continue  # "spread the balance over three months" is a plan, not an age
            cmp = m.group("cmp").lower()
            bound = "least" if cmp in ("at least", "mindestens", "au moins", "al menos", "minstens", "almeno") else "more"
            claims.append(AgeClaim(m.group(0), bound, _quantity(m.group("n")), _UNITS[m.group("unit").lower()]))
            taken.append(m.span())
    for m in _STATED_AGE.finditer(text):
        if any(start <= m.start() < end for start, end in taken):
            continue
        claims.append(AgeClaim(m.group(0), "exact", _quantity(m.group("n")), _UNITS[m.group("unit").lower()]))
    return claims


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line; a full stop inside a number ("4,875.00") does not end one."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if text[start : m.end()].strip():
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _named(sentence: str, facts: DraftFacts) -> list[InvoiceFact]:
    return [inv for inv in facts.invoices if re.search(rf"(?<![\w-]){re.escape(inv.number)}(?![\w-])", sentence)]


def _sentence_flags(text: str, scrubbed: str, facts: DraftFacts) -> list[Flag]:
    """Ages and totals, judged against the invoices each sentence is about."""
    flags: list[Flag] = []
    totals = facts.totals()
    allowed = facts.allowed_amounts()
    for start, end in sentence_spans(text):
        sentence, bare = text[start:end], scrubbed[start:end]
        named = _named(sentence, facts)
        claims = age_claims(bare)
        if claims:
            if named:
                about, whom = named, ", ".join(inv.number for inv in named)
            elif _OLDEST.search(bare):
                oldest = max(facts.invoices, key=lambda inv: inv.days_overdue, default=None)
                about, whom = ([oldest], f"the oldest invoice, {oldest.number}") if oldest else ([], "")
            elif _SOME.search(bare):
                about, whom = [], ""  # "one of these": checked below against any listed invoice
                for claim in claims:
                    if not any(claim.holds(inv, facts.as_of) for inv in facts.invoices):
                        flags.append(Flag("age", f"{claim.raw!r} is true of none of this draft's invoices"))
            else:
                about, whom = list(facts.invoices), "every invoice listed"
            for claim in claims:
                wrong = [inv for inv in about if not claim.holds(inv, facts.as_of)]
                if wrong:
                    ages = ", ".join(f"{inv.number} is {inv.days_overdue} days past due" for inv in wrong)
                    flags.append(Flag("age", f"{claim.raw!r} is said of {whom}, but {ages}"))
        if len(named) != 1 and _TOTAL.search(bare):
            for raw, currencies, value in found_amounts(bare):
                if not _known(currencies, value, allowed):
                    continue  # already flagged as an amount the ledger does not have
                candidates = {cur: t for cur, t in totals.items() if currencies is None or cur in currencies}
                if value not in candidates.values():
                    shown = "; ".join(f"{cur} {t:,.2f}" for cur, t in candidates.items()) or "none in that currency"
                    flags.append(Flag("total", f"{raw!r} is stated as a total, but the listed open balances add up "
                                               f"to {shown}"))  # fmt: skip
    return flags
