"""Matching rules and their edge cases: order, ambiguity, free-mail and our own domains."""

import pytest

from copilot.mail.matching import MatchInput, invoice_candidates, match_message, own_domains


def facts(subject="", text="", sender=None, refs=()):
    return MatchInput(list(refs), subject, [text, text], sender)


def test_reply_header_wins_over_everything(demo_ledger):
    # Names another customer's invoice, but replies to reminder 0001 (C-1001).
    m = match_message(demo_ledger, facts("Re: INV-2026-0299", "see INV-2026-0299", "owner@tidewaterbikes.example",
                                         ["<reminder-0001@ourco.example>"]))  # fmt: skip
    assert (m.rule, m.customer_id, m.invoice_numbers) == ("reply_header", "C-1001", ["INV-2026-0343"])


def test_invoice_number_case_and_punctuation(demo_ledger):
    m = match_message(demo_ledger, facts("question", "About inv-2026-0366. Thanks", "someone@elsewhere.test"))
    assert (m.rule, m.customer_id, m.invoice_numbers) == ("invoice_number", "C-1007", ["INV-2026-0366"])


def test_invoices_of_two_customers_prefer_the_senders(demo_ledger):
    m = match_message(demo_ledger, facts("", "INV-2026-0299 and INV-2026-0343", "priya.nandakumar@northwindharbor.example"))
    assert (m.customer_id, m.invoice_numbers) == ("C-1001", ["INV-2026-0343"])


def test_sender_address_then_domain(demo_ledger):
    assert match_message(demo_ledger, facts("hi", "no numbers", "AP@northwindharbor.example")).rule == "sender_address"
    m = match_message(demo_ledger, facts("hi", "no numbers", "new.person@northwindharbor.example"))
    assert (m.rule, m.customer_id) == ("sender_domain", "C-1001")


@pytest.mark.parametrize("sender", ["someone@gmail.com", "mailer-daemon@mail.ourco.example", "x@ourco.example", None])
def test_no_match_from_freemail_our_domain_or_no_sender(demo_ledger, sender):
    ours = own_domains(demo_ledger)
    assert "ourco.example" in ours
    m = match_message(demo_ledger, facts("hello", "nothing to see", sender), ours)
    assert not m.matched and m.rule is None


def test_domain_shared_by_two_customers_is_not_a_match(demo_ledger):
    demo_ledger.db["contacts"].insert({"customer_id": "C-1002", "email": "other@northwindharbor.example"})
    assert not match_message(demo_ledger, facts("hi", "x", "new.person@northwindharbor.example")).matched


def test_invoice_candidates_are_bounded_and_need_a_digit():
    assert invoice_candidates("Pay INV-1, inv-2026-7. and PO ABC") == ["INV-1", "INV-2026-7"]
    assert len(invoice_candidates(" ".join(f"X{i:05d}" for i in range(5000)))) == 500
