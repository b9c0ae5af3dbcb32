"""Payment plans read from reply text: several dates and amounts, or a count and a rhythm, in five languages."""

from datetime import date
from decimal import Decimal

import pytest

from copilot.classify.instalments import extract_plan, schedule

SENT = date(2026, 11, 16)  # a Monday
DEFAULT_FIRST = date(2026, 11, 23)


def _plan(text: str, total: str | None = "12000.00", currency: str | None = "EUR") -> list[tuple[str, str | None, str | None]]:
    terms = extract_plan(text, SENT)
    assert terms is not None, text
    return [(i.due.isoformat(), None if i.amount is None else str(i.amount), i.currency)
            for i in schedule(terms, DEFAULT_FIRST, Decimal(total) if total else None, currency)]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We can do EUR 5,000 on 1 December and the rest on 15 January.",
         [("2026-12-01", "5000", "EUR"), ("2027-01-15", "7000.00", "EUR")]),
        ("We will pay $2,000 on Friday and $3,000 on December 18.",
         [("2026-11-20", "2000", "USD"), ("2026-12-18", "3000", "USD")]),
        ("Wir zahlen in zwei Raten am 30.11. und am 31.12.",
         [("2026-11-30", "6000.00", "EUR"), ("2026-12-31", "6000.00", "EUR")]),
        ("Nous paierons en trois fois, le 5 décembre, le 5 janvier et le 5 février.",
         [("2026-12-05", "4000.00", "EUR"), ("2027-01-05", "4000.00", "EUR"), ("2027-02-05", "4000.00", "EUR")]),
        ("Pagaremos en dos plazos: 1.500 € el 10 de diciembre y el resto el 10 de enero.",
         [("2026-12-10", "1500", "EUR"), ("2027-01-10", "10500.00", "EUR")]),
        ("We betalen in twee termijnen, op 1 december en op 1 februari.",
         [("2026-12-01", "6000.00", "EUR"), ("2027-02-01", "6000.00", "EUR")]),
    ],
)  # fmt: skip
def test_written_out_instalments(text, expected):
    assert _plan(text) == expected


def test_a_count_and_a_rhythm():
    assert _plan("We will settle this in three monthly payments.", "18250.00") == [
        ("2026-11-23", "6083.33", "EUR"), ("2026-12-23", "6083.33", "EUR"), ("2027-01-23", "6083.34", "EUR")]  # fmt: skip
    assert _plan("Because of our approval limits we have to pay it in two parts.", None) == [
        ("2026-11-23", None, "EUR"), ("2026-12-23", None, "EUR")]  # fmt: skip
    assert [d for d, _, _ in _plan("Four weekly instalments starting Friday please.")] == [
        "2026-11-20", "2026-11-27", "2026-12-04", "2026-12-11"]  # fmt: skip


def test_month_end_plans_stay_on_month_ends():
    dues = [d for d, _, _ in _plan("We will settle this in three monthly payments starting at the end of the month.")]
    assert dues == ["2026-11-30", "2026-12-31", "2027-01-31"]


def test_an_amount_in_another_currency_is_not_filled_from_the_balance():
    assert _plan("USD 1,000 on 1 December and the rest on 15 January.", "5000.00", "EUR") == [
        ("2026-12-01", "1000", "USD"), ("2027-01-15", None, "USD")]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "We will pay INV-2026-0343 on Friday.",
        "We will pay on Friday, or on Monday at the latest.",
        "We will pay the remaining USD 18,250.00 on 20 November.",
        "Paid two invoices yesterday, remittance attached.",
        "Thanks, noted.",
    ],
)
def test_one_payment_is_not_a_plan(text):
    assert extract_plan(text, SENT) is None
