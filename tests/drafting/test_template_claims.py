"""Every template and segment variant, over the demo ledger, claims no age or threshold a listed invoice does not meet.

The claims are read with a checker written here, apart from the guardrails: it splits the
text into clauses, finds "N days overdue", "more than N days", "over two months" and the
like, works out which invoices each clause is about (an invoice named in it, "the oldest",
or else every invoice listed) and measures them with dateutil. Totals are summed from the
ledger rows directly.
"""

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from copilot.config import Settings
from copilot.drafting.facts import DisputeFact, DraftFacts, PromiseFact, RequestFact, build_facts
from copilot.drafting.guardrails import check_draft
from copilot.drafting.render import TONES, environment, render_draft
from copilot.ledger import importer
from copilot.policy.model import default_policy
from copilot.resources import demo_data_dir
from copilot.store import Store

DEMO_DAY = date(2026, 11, 16)
# The demo day and two later ones, so each customer's invoices are seen at several mixes of ages.
DAYS = (DEMO_DAY, DEMO_DAY + timedelta(days=40), DEMO_DAY + timedelta(days=85))
SEGMENTS = ("strategic", "mid-market", "long-tail")
REQUEST_KINDS = ("w9", "invoice_copy", "po", "bank_details", "statement", "portal", "contact_change", "other")

WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "ninety": 90, "sixty": 60, "thirty": 30}
QTY = r"(\d+|" + "|".join(WORDS) + r")"
EXACT = re.compile(rf"\b{QTY} (day|week|month)s? (?:overdue|past due|late|after the due date|past (?:its|the) due date)", re.I)
LOWER = re.compile(rf"\b(more than|over|at least) {QTY} (day|week|month)s?\b", re.I)
# Claims without a number: "is now past due" (at least a day) and "none of them is overdue" (not one day).
PAST = re.compile(r"\b(?:is|are|remains?) (?:now |still )?(?:past due|past the due date|overdue)\b", re.I)
NOT_YET = re.compile(r"\b(?:not overdue|none of them is overdue|nothing is overdue|not yet due)\b", re.I)
INVOICE = re.compile(r"\bINV-\d{4}-\d{4}\b")
TOTAL = re.compile(r"^Total open(?: in ([A-Z]{3}))?: ([A-Z]{3}) ([\d,]+\.\d{2})$")


def clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"\n|(?<=[.!?;])\s+", text) if c.strip()]


def overdue_days(due: date, as_of: date) -> int:
    return (as_of - due).days


def meets(kind: str, count: int, unit: str, due: date, as_of: date) -> bool:
    if unit == "month":
        mark = due + relativedelta(months=count)
        return as_of > mark if kind in ("more than", "over") else as_of >= mark
    days = count * (7 if unit == "week" else 1)
    age = overdue_days(due, as_of)
    if kind == "past":
        return age >= 1
    if kind == "not yet":
        return age < 1
    if kind in ("more than", "over"):
        return age > days
    if kind == "at least":
        return age >= days
    return age == days if unit == "day" else age >= days


def untrue_claims(text: str, invoices: list[dict], as_of: date) -> tuple[list[str], int]:
    """(clauses with a claim some invoice they are about does not meet, how many claims were read)."""
    dues = {r["number"]: date.fromisoformat(r["due_date"]) for r in invoices}
    bad, seen = [], 0
    for clause in clauses(text):
        lower = list(LOWER.finditer(clause))
        found = [(m.group(1).lower(), m.group(2), m.group(3)) for m in lower]
        # "more than 90 days after the due date" is one claim, not also an exact "90 days after".
        found += [("exact", m.group(1), m.group(2)) for m in EXACT.finditer(clause)
                  if not any(t.start() <= m.start() < t.end() for t in lower)]  # fmt: skip
        denied = [("not yet", "1", "day") for _ in NOT_YET.finditer(clause)]
        found += denied or [("past", "1", "day") for _ in PAST.finditer(clause)]
        if not found:
            continue
        named = [n for n in INVOICE.findall(clause) if n in dues]
        if named:
            about = named
        elif "oldest" in clause.lower():
            about = [min(dues, key=lambda n: dues[n])]
        else:
            about = list(dues)
        for kind, qty, unit in found:
            seen += 1
            count = int(qty) if qty.isdigit() else WORDS[qty.lower()]
            if not all(meets(kind, count, unit.lower(), dues[n], as_of) for n in about):
                bad.append(clause)
    return bad, seen


def wrong_totals(text: str, invoices: list[dict]) -> list[str]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for r in invoices:
        sums[r["currency"]] += Decimal(r["open_balance"])
    out = []
    for line in text.splitlines():
        m = TOTAL.match(line.strip())
        if m and Decimal(m.group(3).replace(",", "")) != sums[m.group(2)]:
            out.append(line)
    return out


@pytest.fixture(scope="module")
def ledger() -> tuple[dict, dict]:
    """The demo's customers and their open invoices, payments applied."""
    store = Store.memory()
    importer.import_invoices(store, demo_data_dir() / "invoices.csv", default_policy(), actor="test")
    importer.import_payments(store, demo_data_dir() / "payments.csv", actor="test")
    customers = {c["id"]: c for c in store.db["customers"].rows}
    invoices: dict[str, list[dict]] = defaultdict(list)
    for row in store.db["invoices"].rows_where("status in ('open', 'partially_paid')", order_by="due_date, number"):
        if Decimal(row["open_balance"]) > 0:
            invoices[row["customer_id"]].append(row)
    store.close()
    return customers, invoices


def variants() -> list[tuple[str, str]]:
    """(base, segment) for every English email template; a base template is tried in every segment.

    The translations (email/<language>/) are checked by the same guardrails in test_languages.py."""
    out = []
    for name in environment().list_templates(filter_func=lambda n: n.startswith("email/") and n.count("/") == 1
                                              and "/_" not in n):
        stem = name.split("/")[1].removesuffix(".txt.j2")
        base, _, segment = stem.partition(".")
        out += [(base, segment)] if segment else [(base, s) for s in SEGMENTS]
    return sorted(set(out))


def drafts_for(base: str, segment: str, customer: dict, open_rows: list[dict], as_of: date):
    """Every draft this variant could write for the customer on that day: (facts, the rows listed)."""
    settings, policy = Settings(), default_policy()
    customer = {**customer, "segment": segment}
    overdue = [r for r in open_rows if overdue_days(date.fromisoformat(r["due_date"]), as_of) >= 1]
    upcoming = [r for r in open_rows if overdue_days(date.fromisoformat(r["due_date"]), as_of) < 1]
    contact = {"email": "ap@customer.example", "name": None}

    def make(kind: str, tier: int, rows: list[dict], **extra) -> tuple[DraftFacts, list[dict]]:
        facts = build_facts(kind=kind, tier=tier, customer=customer, contact=contact, invoices=rows, as_of=as_of,
                            policy=policy, settings=settings, **extra)  # fmt: skip
        return facts, rows

    if base.startswith("tier") and overdue:
        # Every tier over the same invoices: the policy escalates a whole account on its oldest one.
        yield make("reminder", int(base[4:]), overdue)
    elif base == "pre_due" and upcoming:
        yield make("pre_due", 0, upcoming)
    elif base == "broken_promise" and overdue:
        promise = PromiseFact(promised_date=as_of - timedelta(days=3), amount=Decimal(overdue[0]["open_balance"]),
                              currency=overdue[0]["currency"])  # fmt: skip
        for tier in (1, 2, 3, 4):
            yield make("broken_promise", tier, overdue, promise=promise)
    elif base == "request_reply":
        for kind in REQUEST_KINDS:
            yield make("request_reply", 2, open_rows, request=RequestFact(kind=kind, subject="Question", received_on=as_of))
    elif base == "dispute_reply" and open_rows:
        row = open_rows[0]
        for outcome in ("credit_note", "partial_credit", "void", "stands"):
            credit = None if outcome == "stands" else (Decimal(row["open_balance"]) / (2 if outcome == "partial_credit" else 1)).quantize(Decimal("0.01"))
            remaining = Decimal(row["open_balance"]) - (credit or 0)
            dispute = DisputeFact(outcome=outcome, reason="quantity", credit=credit, currency=row["currency"],
                                  remaining=remaining)  # fmt: skip
            yield make("dispute_reply", 0, [row], dispute=dispute)


def test_the_checker_catches_the_old_wording():
    """The checker is not blind: the Tier 3 and 4 sentences of the earlier templates fail it on young invoices."""
    rows = [{"number": "INV-2026-0001", "due_date": "2026-11-13"}, {"number": "INV-2026-0002", "due_date": "2026-09-30"}]
    assert untrue_claims("The invoices below are now more than 90 days past due, and", rows, DEMO_DAY)[0]
    assert untrue_claims("The invoices below are now more than two months overdue.", rows, DEMO_DAY)[0]
    assert untrue_claims("Invoice INV-2026-0001 is 4 days overdue.", rows, DEMO_DAY)[0]
    assert not untrue_claims("The oldest of these is 47 days overdue.", rows, DEMO_DAY)[0]
    assert wrong_totals("Total open: GBP 4,000.00", [{"currency": "GBP", "open_balance": "4875.00"}])


@pytest.mark.parametrize(("base", "segment"), variants())
def test_no_template_claims_an_age_a_listed_invoice_does_not_meet(base: str, segment: str, ledger):
    customers, invoices = ledger
    rendered = claims = 0
    failures = []
    for cid, customer in sorted(customers.items()):
        for as_of in DAYS:
            for facts, rows in drafts_for(base, segment, customer, invoices.get(cid, []), as_of):
                for tone in TONES:
                    text = render_draft(facts, tone)
                    rendered += 1
                    body = f"{text.subject}\n{text.body}"
                    bad, seen = untrue_claims(body, rows, as_of)
                    claims += seen
                    failures += [f"{cid} {as_of} {tone}: {clause}" for clause in bad + wrong_totals(body, rows)]
                    # The guardrails agree: nothing the templates say is flagged.
                    assert check_draft(text.subject, text.body, facts, 10_000) == [], (cid, as_of, tone)
    assert rendered > 0
    assert claims > 0  # every variant lists its invoices with their ages, so there is always something to check
    assert failures == []
