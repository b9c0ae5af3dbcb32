"""Guardrails catch wrong facts, missing links, premature threats and leftovers; every template passes them."""

from datetime import date
from decimal import Decimal

import pytest

from copilot.config import Settings
from copilot.drafting.facts import DisputeFact, DraftFacts, PromiseFact, RequestFact, build_facts
from copilot.drafting.guardrails import check_draft, found_amounts, found_dates, parse_number
from copilot.drafting.render import TONES, environment, render_draft
from copilot.policy.model import default_policy

TODAY = date(2026, 11, 16)
LIMIT = 3000


def facts(tier: int = 1, kind: str = "reminder", segment: str = "mid-market", **extra) -> DraftFacts:
    invoices = [
        {"number": "INV-2026-0343", "due_date": "2026-10-05", "issue_date": "2026-09-05", "amount": "31200.00",
         "open_balance": "18250.00", "currency": "USD", "payment_link": "https://pay.example.test/i/INV-2026-0343"},
        {"number": "INV-2026-0357", "due_date": "2026-11-06", "issue_date": "2026-09-22", "amount": "24750.00",
         "open_balance": "24750.00", "currency": "USD", "payment_link": "https://pay.example.test/i/INV-2026-0357",
         "po_number": "NWH-PO-76831"},
    ]  # fmt: skip
    return build_facts(kind=kind, tier=tier, customer={"id": "C-1001", "name": "Northwind & Sons", "segment": segment},
                       contact={"email": "ap@northwind.example", "name": None}, invoices=invoices, as_of=TODAY,
                       policy=default_policy(), settings=Settings(), **extra)  # fmt: skip


GOOD = """Hello Northwind team,

Invoice INV-2026-0343 (due 5 October 2026) has USD 18,250.00 open of USD 31,200.00; you paid USD 12,950.00.
Invoice INV-2026-0357 is due 2026-11-06 with $24,750.00 open. Together: USD 43,000.00.
Pay: https://pay.example.test/i/INV-2026-0343 and https://pay.example.test/i/INV-2026-0357
"""


def checks(body: str, f: DraftFacts | None = None, subject: str = "Reminder") -> list[str]:
    return [flag.check for flag in check_draft(subject, body, f or facts(), LIMIT)]


def test_a_faithful_draft_passes():
    assert checks(GOOD) == []


@pytest.mark.parametrize(
    ("wrong", "right"),
    [("USD 18,250.00", "USD 18,520.00"), ("USD 18,250.00", "EUR 18,250.00"), ("$24,750.00", "$24,570.00"),
     ("USD 43,000.00", "USD 43,000.01"), ("USD 18,250.00", "18.520,00 USD")],
)  # fmt: skip
def test_a_wrong_amount_is_caught(wrong, right):
    assert checks(GOOD.replace(wrong, right)) == ["amount"]


def test_a_wrong_invoice_number_is_caught():
    assert checks(GOOD.replace("Invoice INV-2026-0357 is", "Invoice INV-2026-0375 is")) == ["invoice_number"]


@pytest.mark.parametrize(("wrong", "right"), [("5 October 2026", "15 October 2026"), ("2026-11-06", "2026-11-07")])
def test_a_wrong_date_is_caught(wrong, right):
    assert checks(GOOD.replace(wrong, right)) == ["date"]


def test_a_missing_payment_link_is_caught():
    assert checks(GOOD.replace(" and https://pay.example.test/i/INV-2026-0357", "")) == ["payment_link"]


@pytest.mark.parametrize(
    "threat",
    ["We will suspend your account.", "Otherwise we must take legal action.", "We will pass this to a collection agency.",
     "Sonst geben wir die Forderung an ein Inkassobüro.", "Sans paiement, nous engagerons une action en justice.",
     "De lo contrario, iniciaremos acciones legales.", "Your service will be cut off."],
)  # fmt: skip
@pytest.mark.parametrize("tier", [1, 2, 3])
def test_a_threat_before_tier_four_is_caught(threat, tier):
    assert checks(GOOD + threat, facts(tier)) == ["threat"]


def test_tier_four_may_state_the_suspension():
    f = facts(4)
    body = GOOD + "Unless paid by 26 November 2026, your account will be suspended on that date."
    assert f.suspension_date == date(2026, 11, 26)
    assert checks(body, f) == []


def test_a_courtesy_note_is_not_a_threat():
    assert checks(GOOD + "A courtesy note from our accounts team.") == []


@pytest.mark.parametrize("leftover", ["{{ contact_name }}", "Dear [NAME],", "<insert date here>", "Hi {first_name}", "TBD"])
def test_a_leftover_placeholder_is_caught(leftover):
    assert set(checks(GOOD + leftover)) == {"placeholder"}


def test_the_length_is_bounded():
    assert checks(GOOD + "x" * LIMIT) == ["length"]


def test_an_empty_body_is_caught():
    assert checks("   ") == ["empty"]


@pytest.mark.parametrize(("text", "value"), [("18,250.00", "18250.00"), ("18.250,00", "18250.00"), ("18'250.50", "18250.50"),
                                             ("18 250,00", "18250.00"), ("375", "375"), ("1,234", "1234")])  # fmt: skip
def test_numbers_in_any_common_format(text, value):
    assert parse_number(text) == Decimal(value)


def test_amounts_and_dates_are_found_in_other_languages():
    assert [v for _, _, v in found_amounts("Offener Betrag: 18.250,00 € bis zum 26. November 2026")] == [Decimal("18250.00")]
    assert [d for _, d in found_dates("le 26 novembre 2026")] == [{date(2026, 11, 26)}]


def _all_variants():
    # English templates; the translations in email/<language>/ have their own test (tests/drafting/test_languages.py).
    names = environment().list_templates(filter_func=lambda n: n.startswith("email/") and n.count("/") == 1
                                         and not n.split("/")[1].startswith("_"))  # fmt: skip
    for name in names:
        stem = name.split("/")[1].removesuffix(".txt.j2")
        base, _, segment = stem.partition(".")
        for tone in TONES:
            yield pytest.param(base, segment or "mid-market", tone, id=f"{stem}-{tone}")


@pytest.mark.parametrize(("base", "segment", "tone"), list(_all_variants()))
def test_every_template_renders_and_passes_its_own_guardrails(base, segment, tone):
    extra = {}
    if base.startswith("tier"):
        tier, kind = int(base[4:]), "reminder"
    else:
        tier, kind = (0 if base == "pre_due" else 2), base
        if kind == "broken_promise":
            extra["promise"] = PromiseFact(promised_date=date(2026, 11, 10), amount=Decimal("18250.00"), currency="USD")
        if kind == "request_reply":
            extra["request"] = RequestFact(kind="w9", subject="W-9 please", received_on=date(2026, 11, 12))
        if kind == "dispute_reply":
            extra["dispute"] = DisputeFact(outcome="stands", reason="pricing", currency="USD")
    f = facts(tier, kind, segment, **extra)
    rendered = render_draft(f, tone)
    assert rendered.template in (f"email/{base}.{segment}.txt.j2", f"email/{base}.txt.j2")
    assert "Northwind & Sons" in rendered.body  # plain text: no HTML escaping of the customer's name
    assert check_draft(rendered.subject, rendered.body, f, LIMIT) == []
    assert "regards" not in rendered.body.lower()  # the signature is appended at send time


def test_tone_hints_change_the_text():
    f = facts(2)
    bodies = {tone: render_draft(f, tone).body for tone in TONES}
    assert len(set(bodies.values())) == 3


def test_tier_four_states_the_suspension_date_and_the_way_back():
    body = render_draft(facts(4)).body
    assert "26 November 2026" in body and "payment plan" in body


def test_tier_three_sets_a_date_and_offers_a_plan():
    rendered = render_draft(facts(3))
    assert "23 November 2026" in rendered.subject and "payment plan" in rendered.body
    assert facts(3).sender.senior and not facts(2).sender.senior


def gbp_facts() -> DraftFacts:
    invoices = [
        {"number": "INV-2026-0401", "due_date": "2026-07-01", "amount": "4000.00", "open_balance": "4000.00",
         "currency": "GBP", "payment_link": "https://pay.example.test/i/INV-2026-0401"},
        {"number": "INV-2026-0402", "due_date": "2026-11-13", "amount": "875.00", "open_balance": "875.00",
         "currency": "GBP", "payment_link": "https://pay.example.test/i/INV-2026-0402"},
        {"number": "INV-2026-0403", "due_date": "2026-10-01", "amount": "990.00", "open_balance": "990.00",
         "currency": "EUR", "payment_link": "https://pay.example.test/i/INV-2026-0403"},
    ]  # fmt: skip
    return build_facts(kind="reminder", tier=4, customer={"id": "C-2", "name": "Fenwick", "segment": "mid-market"},
                       contact={"email": "ap@fenwick.example"}, invoices=invoices, as_of=TODAY,
                       policy=default_policy(), settings=Settings())  # fmt: skip


def test_a_total_edited_to_another_invoices_amount_is_caught():
    f = gbp_facts()
    body = render_draft(f).body
    assert "Total open in GBP: GBP 4,875.00" in body and checks(body, f) == []
    edited = body.replace("Total open in GBP: GBP 4,875.00", "Total open in GBP: GBP 4,000.00")
    flags = check_draft("Final notice", edited, f, LIMIT)
    assert [fl.check for fl in flags] == ["total"]
    assert "GBP 4,875.00" in flags[0].detail


@pytest.mark.parametrize("sentence", ["Altogether you owe GBP 4,875.00 and EUR 990.00.", "Your balance is EUR 990.00."])
def test_a_true_total_passes_per_currency(sentence):
    f = gbp_facts()
    assert checks(render_draft(f).body + "\n" + sentence, f) == []


@pytest.mark.parametrize("sentence", ["Altogether you owe GBP 875.00.", "In total that is EUR 4,000.00."])
def test_a_total_in_the_wrong_currency_or_of_part_is_caught(sentence):
    f = gbp_facts()
    assert "total" in checks(render_draft(f).body + "\n" + sentence, f) or "amount" in checks(render_draft(f).body + "\n" + sentence, f)


def test_a_per_invoice_amount_with_total_wording_is_judged_per_invoice():
    f = gbp_facts()
    assert checks(render_draft(f).body + "\nInvoice INV-2026-0402 totals GBP 875.00.", f) == []


@pytest.mark.parametrize(
    "sentence",
    ["These invoices are more than 90 days past due.", "All of them are over two months overdue.",
     "Your invoices have been outstanding for more than a month.", "Invoice INV-2026-0402 is 5 days overdue.",
     "The oldest of these is 100 days overdue.", "Sie sind seit über 60 Tagen überfällig.",
     "Ces factures ont plus de 30 jours de retard.", "We are now past the 90-day mark on these invoices.",
     "These invoices have been open for over two months."],
)  # fmt: skip
def test_an_age_or_threshold_not_true_of_every_listed_invoice_is_caught(sentence):
    f = gbp_facts()  # 138, 3 and 46 days past due
    assert checks(render_draft(f).body + "\n" + sentence, f) == ["age"]


@pytest.mark.parametrize(
    "sentence",
    ["The oldest of these is 138 days overdue.", "Invoice INV-2026-0401 is more than 90 days past due.",
     "Invoice INV-2026-0402 is 3 days overdue.", "One of these is more than four months overdue.",
     "Please reply within two business days.", "Our payment terms are 30 days.",
     "We can spread the open balance over three months.", "A plan with payments over the next six months is possible."],
)  # fmt: skip
def test_a_true_age_or_a_sentence_about_something_else_passes(sentence):
    f = gbp_facts()
    assert checks(render_draft(f).body + "\n" + sentence, f) == []


def test_tier_four_over_young_invoices_says_how_old_the_oldest_is():
    body = render_draft(gbp_facts()).body
    assert "more than 90 days" not in body
    assert "the oldest of these is 138 days overdue" in body
    assert "3 days overdue" in body and "46 days overdue" in body


def test_tier_four_over_old_invoices_keeps_the_threshold():
    f = facts(4).model_copy(update={"as_of": date(2027, 2, 16)})
    f = f.model_copy(update={"invoices": tuple(inv.model_copy(update={"days_overdue": (f.as_of - inv.due_date).days})
                                               for inv in f.invoices)})  # fmt: skip
    assert "are all now more than 90 days past due" in render_draft(f).body
