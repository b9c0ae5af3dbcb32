"""Find and resolve dates in reply text: promised payment dates and out-of-office return dates.

Patterns cover English, German, French, Spanish and Dutch ("Friday", "end of the month", "15.03.",
"fin du mois", "a final de mes", "eind van de maand"); relative ones are resolved against the reply's own
Date with dateutil arithmetic, so "Friday" in a Tuesday reply means the Friday of that week.
"""

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import FR, relativedelta

from copilot import clock

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january jan januar janvier enero januari ene janv jänner",
        "february feb februar février fevrier febrero februari févr fevr",
        "march mar märz maerz mrz mars marzo maart mär mrt",
        "april apr avril abril",
        "may mai mayo mei",
        "june jun juni juin junio",
        "july jul juli juillet julio juil",
        "august aug août aout agosto augustus ago",
        "september sep sept septembre septiembre set",
        "october oct oktober octobre octubre okt",
        "november nov novembre noviembre",
        "december dec dezember décembre decembre diciembre dic dez déc",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num

_WEEKDAYS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "monday mon montag lundi lunes maandag",
        "tuesday tue tues dienstag mardi martes dinsdag",
        "wednesday wed mittwoch mercredi miércoles miercoles woensdag",
        "thursday thu thur thurs donnerstag jeudi jueves donderdag",
        "friday fri freitag vendredi viernes vrijdag",
        "saturday sat samstag samedi sábado sabado zaterdag",
        "sunday sun sonntag dimanche domingo zondag",
    ]
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _num

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "a": 1, "zwei": 2, "drei": 3, "zehn": 10,
    "deux": 2, "trois": 3, "dix": 10, "quinze": 15, "dos": 2, "tres": 3, "diez": 10, "quince": 15, "twee": 2,
    "drie": 3, "tien": 10, "veertien": 14, "vierzehn": 14, "quatorze": 14, "catorce": 14,
}  # fmt: skip


def _alt(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_MON = rf"(?P<mon>{_alt(_MONTHS)})\.?"
_WD = rf"(?P<wd>{_alt(_WEEKDAYS)})"
_ORD = r"(?:st|nd|rd|th|er|e|º|ª|\.)?"
_NUM = rf"(?P<n>\d{{1,3}}|{_alt(_NUMBER_WORDS)})"


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    day: date
    kind: str


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _yearless(base: date, month: int, day: int) -> date | None:
    """The day/month nearest to `base` going forward; a date a few weeks back stays in the past."""
    candidate = _safe(base.year, month, day)
    if candidate is None:
        return None
    if candidate < base - timedelta(days=60):
        candidate = _safe(base.year + 1, month, day)
    return candidate


def _year(text: str | None, base: date) -> int | None:
    if not text:
        return None
    y = int(text)
    return y + 2000 if y < 100 else y


def _end_of_month(d: date) -> date:
    return d + relativedelta(day=31)


def _next_weekday(base: date, weekday: int, strictly_after: bool = True) -> date:
    ahead = (weekday - base.weekday()) % 7
    if ahead == 0 and strictly_after:
        ahead = 7
    return base + timedelta(days=ahead)


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(?<!\d)(?P<y>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?!\d)")),
    ("dmy_num", re.compile(r"(?<![\d.,/])(?P<d>\d{1,2})[./](?P<m>\d{1,2})(?:[./](?P<y>(?:20)?\d\d))?\.?(?![\d,]|\.\d)")),
    ("day_month", re.compile(rf"(?<!\d)(?P<d>\d{{1,2}}){_ORD}(?:\s+(?:de|of))?\s+{_MON}(?:,?\s+(?:de\s+)?(?P<y>20\d\d))?\b")),
    ("month_day", re.compile(rf"\b{_MON}\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}(?!\d)(?:,?\s+(?P<y>20\d\d))?")),
    ("eom_named", re.compile(rf"\b(?:end of|ende|fin(?:al(?:es)?)? de|fin|eind|einde) {_MON}")),
    ("eom_next", re.compile(
        r"\b(end of next month|ende (des )?nächsten monats|fin du mois prochain|fin(al)? del mes que viene|"
        r"final del próximo mes|eind(e)? volgende maand)\b")),
    ("eom", re.compile(
        r"\b(end of (the |this )?month|month[- ]end|end of month|ende (des |dieses )?monats|monatsende|"
        r"fin (du |de )?mois|fin(al(es)?)? de(l)? mes|eind(e)? van de maand|eind(e)? (deze )?maand)\b")),
    ("eow_next", re.compile(r"\b(end of next week|ende nächster woche|fin de la semaine prochaine|"
                            r"final de la semana que viene|eind volgende week)\b")),
    ("eow", re.compile(r"\b(end of (the |this )?week|ende (der|dieser) woche|fin de (la |cette )?semaine|"
                       r"final de (la|esta) semana|eind van de week|eind deze week)\b")),
    ("first_next_month", re.compile(
        r"\b((the )?(first|1st|beginning|start) of (next|the next|the coming) month|anfang (des )?nächsten monats|"
        r"début du mois prochain|(a )?principios del (mes que viene|próximo mes)|begin volgende maand)\b")),
    ("last_wd_month", re.compile(rf"\blast {_WD} of (?:each|the|every|this) month\b")),
    ("in_days", re.compile(
        rf"\b(?:in|within|innerhalb(?: von)?|dans|sous|en|binnen|over|nach)\s+{_NUM}\s+"
        r"(?P<unit>(?:working |business |calendar )?days?|weeks?|tage?n?|wochen?|jours?|semaines?|días?|dias?|semanas?|dagen|weken|week)\b",
        )),
    ("today", re.compile(r"\b(today|heute|aujourd'hui|aujourd’hui|hoy|vandaag|end of (the )?day|close of business|eod|cob)\b")),
    ("tomorrow", re.compile(r"\b(tomorrow|demain|vandaag of morgen|(?<!guten )(?<!goede )morgen(?! früh)|(?<!esta )(?<!la )mañana)\b")),
    ("weekday", re.compile(rf"\b(?P<next>next week |nächste woche |la semaine prochaine |la semana que viene |volgende week )?"
                           rf"(?:(?:this|next|coming|this coming|diesen|kommenden|nächsten|ce|este|el próximo|deze|komende|volgende)\s+)?{_WD}\b")),
    ("nth", re.compile(r"(?:\bthe\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)\b|\bam\s+(?P<d2>\d{1,2})\.(?!\d)|\ble\s+(?P<d3>\d{1,2})(?:er)?\b(?!\s*[/.%€$])"
                       r"|\b(?:el |del )?día\s+(?P<d4>\d{1,2})\b|\bop de\s+(?P<d5>\d{1,2})(?:e|ste)\b)")),
]  # fmt: skip


_DIGITS = tuple("0123456789")
_WEEK = ("week", "woche", "semaine", "semana")
_MONTH = ("month", "monat", "mois", "mes", "maand")
# For each pattern, substrings of which every match contains at least one (lower-case). Most replies hold no
# date at all, and a substring test costs far less than a regex scan that is bound to find nothing.
_NEEDLES: dict[str, tuple[str, ...]] = {
    "day_month": _DIGITS,
    "month_day": _DIGITS,
    "eom_named": ("end of", "ende", "fin", "eind"),
    "eom_next": _MONTH,
    "eom": _MONTH,
    "eow_next": _WEEK,
    "eow": _WEEK,
    "first_next_month": _MONTH,
    "last_wd_month": ("month",),
    "in_days": ("day", "tag", "jour", "día", "dia", "dagen", "weken", *_WEEK),
    "today": ("today", "heute", "aujourd", "hoy", "vandaag", "end of", "close of business", "eod", "cob"),
    "tomorrow": ("tomorrow", "demain", "morgen", "mañana"),
    "weekday": tuple(_WEEKDAYS),
    "nth": ("the", "am", "le", "día", "op de"),
}


# The same test as one literal alternation per pattern: the engine scans for its first letters in C. The two
# numeric patterns need a digit on each side of their separator, a tighter test than any substring.
_NEEDLE_RX = {kind: re.compile("|".join(map(re.escape, needles))) for kind, needles in _NEEDLES.items()}
_NEEDLE_RX |= {"iso": re.compile(r"\d-\d"), "dmy_num": re.compile(r"\d[./]\d")}


def _resolve(kind: str, m: re.Match[str], base: date) -> date | None:
    g = m.groupdict()
    if kind == "iso":
        return _safe(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind in ("dmy_num", "day_month", "month_day"):
        day = int(g["d"])
        month = _MONTHS[g["mon"].lower()] if g.get("mon") else int(g["m"])
        if kind == "dmy_num" and month > 12 and day <= 12:
            day, month = month, day  # 4/14: only a US date can read that way
        if not 1 <= month <= 12:
            return None
        year = _year(g.get("y"), base)
        return _safe(year, month, day) if year else _yearless(base, month, day)
    if kind == "eom_named":
        first = _yearless(base, _MONTHS[g["mon"].lower()], 1)
        return _end_of_month(first) if first else None
    if kind == "eom":
        return _end_of_month(base)
    if kind == "eom_next":
        return _end_of_month(base + relativedelta(months=1))
    if kind == "eow":
        return base + relativedelta(weekday=FR(0))
    if kind == "eow_next":
        return base + relativedelta(weekday=FR(0)) + timedelta(days=7) if base.weekday() <= 4 else base + relativedelta(weekday=FR(+2))
    if kind == "first_next_month":
        return base + relativedelta(months=1, day=1)
    if kind == "last_wd_month":
        wd = _WEEKDAYS[g["wd"].lower()]
        last = _end_of_month(base)
        candidate = last - timedelta(days=(last.weekday() - wd) % 7)
        if candidate < base:
            last = _end_of_month(base + relativedelta(months=1))
            candidate = last - timedelta(days=(last.weekday() - wd) % 7)
        return candidate
    if kind == "in_days":
        raw = g["n"].lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        unit = g["unit"].lower()
        weeks = unit.startswith(("week", "woche", "semaine", "semana", "weken"))
        return base + timedelta(days=n * 7 if weeks else n)
    if kind == "today":
        return base
    if kind == "tomorrow":
        return base + timedelta(days=1)
    if kind == "weekday":
        d = _next_weekday(base, _WEEKDAYS[g["wd"].lower()])
        if g.get("next") and d < base + relativedelta(weekday=FR(0)) + timedelta(days=3):
            d += timedelta(days=7)
        return d
    if kind == "nth":
        day = int(next(v for k, v in g.items() if k.startswith("d") and v))
        candidate = _safe(base.year, base.month, day) if day >= base.day else None
        if candidate is None:
            nxt = base + relativedelta(months=1)
            candidate = _safe(nxt.year, nxt.month, day)
        return candidate
    return None


MAX_DATE_TEXT = 20_000  # characters searched for dates: a reply states its promise near the top


def find_dates(text: str, base: date) -> list[_Hit]:
    """Every date expression in the first MAX_DATE_TEXT characters, resolved against `base`, longest first where they overlap."""
    text = text[:MAX_DATE_TEXT].lower()  # the patterns are lower-case; re.IGNORECASE would be several times slower
    hits: list[_Hit] = []
    for kind, pattern in _PATTERNS:
        if _NEEDLE_RX[kind].search(text) is None:
            continue
        for m in pattern.finditer(text):
            resolved = _resolve(kind, m, base)
            if resolved is not None:
                hits.append(_Hit(m.start(), m.end(), resolved, kind))
    hits.sort(key=lambda h: (-(h.end - h.start), h.start))
    # Keep a hit unless it overlaps one already kept: the kept spans are disjoint, so a sorted list
    # of their starts finds the only neighbours that could overlap in O(log n).
    starts: list[int] = []
    ends: list[int] = []
    chosen: list[_Hit] = []
    for hit in hits:
        i = bisect_right(starts, hit.start)
        if i > 0 and ends[i - 1] > hit.start:
            continue
        if i < len(starts) and starts[i] < hit.end:
            continue
        starts.insert(i, hit.start)
        ends.insert(i, hit.end)
        chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)


# Words that carry the commitment; the promised date is the future date written closest to one of them.
_PAY_CUES = re.compile(
    r"pa(y|id|ying|yment)|remit|transfer|settle|clear|release|run\b|go(es)? out|wire|cheque|check run|instal+ment|plan\b|"
    r"zahl|überweis|begleich|bezahl|paie|pai(er|erons)|régl|virement|versement|pag(o|ar|aremos|amos|ado)|transferencia|abon|remesa|plazo|"
    r"betal|overma|voldoen|termijn|rate\b|raten|échéance|approved|freigegeben|validée|aprobad|goedgekeurd",
)  # used on lower-cased text
_SENTENCE_END = re.compile(r"[.!?]\s|\n\s*\n")


def extract_promise_date(text: str, sent_at: date | None, require_cue: bool = False) -> date | None:
    """The date the customer commits to: a future date, the one written nearest a payment word.

    With `require_cue` the date must share a sentence with a payment word (for replies not labelled a promise).
    """
    hit = _promise_hit(text, sent_at or clock.today(), require_cue)
    return hit.day if hit else None


def _promise_hit(text: str, base: date, require_cue: bool) -> _Hit | None:
    text = text[:MAX_DATE_TEXT]
    cues = [m.start() for m in _PAY_CUES.finditer(text.lower())]
    if require_cue and not cues:
        return None  # checked first: finding dates costs more than finding payment words
    hits = [h for h in find_dates(text, base) if base <= h.day <= base + timedelta(days=400)]
    if not hits:
        return None
    # A date's distance to the commitment is the gap to the nearest payment word, plus 200 when a
    # sentence ends between them. The nearest word on each side is the best candidate on that side
    # (a farther one crosses every sentence end the nearer one does), so each date costs two bisects.
    boundaries = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
    boundary_starts = [b[0] for b in boundaries]

    def crosses(lo: int, hi: int) -> bool:
        i = bisect_left(boundary_starts, lo)
        return i < len(boundaries) and boundaries[i][1] <= hi

    def distance(hit: _Hit) -> int:
        if not cues:
            return 0
        best = 10_000
        i = bisect_left(cues, hit.start)
        for cue in cues[max(0, i - 1) : i + 1]:
            lo, hi = sorted((cue, hit.start))
            best = min(best, hi - lo + (200 if crosses(lo, hi) else 0))
        return best

    scored = [(distance(h), h) for h in hits]
    best = min(d for d, _ in scored)
    if require_cue and (not cues or best >= 200):
        return None
    # Several dates right by the commitment (an instalment plan): the first one falls due first.
    return min((h for d, h in scored if d < best + 30), key=lambda h: h.day)


_FUTURE = re.compile(
    r"\b(will|'ll|shall|going to|gonna|by (this|next|the end)|next|coming|scheduled|planned|go(es)? out|"
    r"wird|werden|kommende[nm]?|nächste[nm]?|geplant|vorgemerkt|geht|"
    r"sera|serons|ferons|allons|va|part|prochaine?|"
    r"será|haremos|vamos a|pagaremos|saldrá|próxim[oa]|"
    r"zal|zullen|wordt|gaat|gaan|volgende|komende|ingepland)\b"
)


def future_commitment(text: str, sent_at: date | None) -> date | None:
    """A payment date after the reply's own day, in a sentence written in the future ("will pay Friday")."""
    base = sent_at or clock.today()
    hit = _promise_hit(text, base, require_cue=True)
    if hit is None or hit.day <= base:
        return None
    ends = [m.end() for m in _SENTENCE_END.finditer(text[:MAX_DATE_TEXT])]
    start = max((e for e in ends if e <= hit.start), default=0)
    stop = min((e for e in ends if e > hit.end), default=len(text))
    return hit.day if _FUTURE.search(text[start:stop].lower()) else None


_INCLUSIVE = re.compile(r"inclusive|including|einschließlich|einschliesslich|inclus|incluido|inclusive|tot en met|t/m", re.I)


def extract_return_date(text: str, sent_at: date | None) -> date | None:
    """When an out-of-office sender is back: the first future date, a day later when the absence is inclusive."""
    base = sent_at or clock.today()
    for hit in find_dates(text, base):
        if base <= hit.day <= base + timedelta(days=400):
            window = text[max(0, hit.start - 20) : hit.end + 20]
            return hit.day + timedelta(days=1) if _INCLUSIVE.search(window) else hit.day
    return None
