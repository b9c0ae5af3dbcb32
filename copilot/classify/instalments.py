"""Payment plans in reply text: several instalments, each with its date and, where written, its amount.

"EUR 5,000 on 1 December and the rest on 15 January", "in three monthly payments", "in zwei Raten am 30.11. und
am 31.12.", "en trois fois". `extract_plan` reads what the customer wrote; `schedule` turns it into dated amounts
once the amount owed and a default first date are known (routing knows both). Dates come from
`copilot.classify.dates`, amounts from `copilot.classify.extract`.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta

from copilot import clock
from copilot.classify.dates import find_dates
from copilot.classify.extract import extract_amounts

MAX_INSTALMENTS = 12
_HORIZON_DAYS = 400

# Words that make several dates one plan rather than alternatives ("Friday, or Monday at the latest").
_PLAN_CUES = re.compile(
    r"instal+ments?|in (?:\w+ )?(?:parts|payments|tranches|rates)|split|the rest|remainder|remaining|balance|second payment|"
    r"raten|ratenzahlung|teilzahlung|teilbetr|rest(?:betrag|lichen)?\b|"
    r"versements?|échéances?|en \w+ fois|le (?:solde|reste)|"
    r"plazos|cuotas|pagos|el (?:resto|saldo)|"
    r"termijnen|delen|de rest|het restant|het resterende"
)
_COUNT_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "twee": 2, "drie": 3, "zes": 6,
}  # fmt: skip
_COUNT = re.compile(
    r"\b(?P<n>\d{1,2}|" + "|".join(_COUNT_WORDS) + r")\s+(?:(?:equal|gleiche[n]?|monthly|weekly|"
    r"monatliche[n]?|wöchentliche[n]?|mensuel(?:le)?s|mensuales|maandelijkse|wekelijkse)\s+)?"
    r"(?P<what>instal+ments?|parts?|payments?|tranches?|rates|raten|teilzahlungen|zahlungen|versements|fois|plazos|cuotas|"
    r"pagos|termijnen|delen|betalingen)\b"
)
_WEEKLY = re.compile(r"weekly|every week|wöchentlich|hebdomadaire|chaque semaine|semanal|wekelijks|elke week")
_FORTNIGHTLY = re.compile(r"fortnightly|bi-?weekly|every (?:two|2) weeks|alle (?:zwei|2) wochen|toutes les deux semaines|"
                          r"cada dos semanas|quincenal|om de (?:twee|2) weken|tweewekelijks")  # fmt: skip


@dataclass(frozen=True)
class Part:
    """One instalment as written: its date, and its amount when stated."""

    due: date | None
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class PlanTerms:
    """What the reply says about its plan: the instalments written out, or a count and a rhythm."""

    parts: tuple[Part, ...]
    count: int
    step: relativedelta  # between instalments that have no date of their own

    def currency(self) -> str | None:
        return next((p.currency for p in self.parts if p.currency), None)


def extract_plan(text: str, sent_at: date | None) -> PlanTerms | None:
    """The payment plan in `text`, or None when it promises one payment (or none)."""
    low = text.lower()
    cued = bool(_PLAN_CUES.search(low) or _COUNT.search(low))
    if not cued and len(extract_amounts(text)) < 2:
        return None
    base = sent_at or clock.today()
    hits = [h for h in find_dates(text, base) if base <= h.day <= base + timedelta(days=_HORIZON_DAYS)]
    parts: list[Part] = []
    previous_end = 0
    for hit in hits:
        # The amount an instalment carries is written just before its date ("EUR 5,000 on 1 December").
        segment = low[previous_end : hit.end]
        amounts = extract_amounts(segment)
        amount, currency = amounts[-1] if amounts else (None, None)
        parts.append(Part(hit.day, amount, currency))
        previous_end = hit.end
    parts = _distinct(parts)
    count_match = _COUNT.search(low)
    count = _count(count_match.group("n")) if count_match else 0
    step = relativedelta(weeks=1) if _WEEKLY.search(low) else relativedelta(weeks=2) if _FORTNIGHTLY.search(low) else relativedelta(months=1)
    if len(parts) >= 2 and (cued or all(p.amount is not None for p in parts)):
        return PlanTerms(tuple(parts), max(len(parts), min(count, MAX_INSTALMENTS)), step)
    if count >= 2:
        return PlanTerms(tuple(parts), min(count, MAX_INSTALMENTS), step)
    return None


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _COUNT_WORDS.get(word, 0)


def _distinct(parts: list[Part]) -> list[Part]:
    seen: set[date] = set()
    out = []
    for part in sorted(parts, key=lambda p: p.due or date.max):
        if part.due not in seen:
            seen.add(part.due)
            out.append(part)
    return out


@dataclass(frozen=True)
class Instalment:
    due: date
    amount: Decimal | None
    currency: str | None


def schedule(terms: PlanTerms, first_default: date, total: Decimal | None, currency: str | None) -> list[Instalment]:
    """Dated amounts for every instalment.

    Instalments without a date follow the last dated one at the plan's rhythm (the first defaults to
    `first_default`). Amounts not written share what is left of `total` equally, cent-exact, with any odd
    cent on the last; without a total they stay unknown.
    """
    dated = [p for p in terms.parts if p.due is not None]
    dues = [p.due for p in dated] or [first_default]
    anchor, month_end = dues[-1], (dues[-1] + timedelta(days=1)).day == 1
    for k in range(1, terms.count - len(dues) + 1):
        # "end of the month, then monthly" stays on each month's last day, not on the 30th.
        dues.append(anchor + terms.step * k + (relativedelta(day=31) if month_end and terms.step.months else relativedelta()))
    written = [p.amount for p in dated] + [None] * (len(dues) - len(dated))
    cur = terms.currency() or currency
    if total is not None and (currency is None or cur == currency):
        known = sum((a for a in written if a is not None), Decimal("0"))
        missing = [i for i, a in enumerate(written) if a is None]
        left = total - known
        if missing and left > 0:
            share = (left / len(missing)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            for i in missing:
                written[i] = share
            written[missing[-1]] = left - share * (len(missing) - 1)
    return [Instalment(d, a, cur) for d, a in zip(dues, written, strict=True)]
