"""Reminders in German, French, Spanish and Dutch: language detection, template choice, guardrails, gists."""

from datetime import date
from decimal import Decimal

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from copilot.classify.gist import local_gist, reply_gist
from copilot.config import Settings
from copilot.drafting.facts import DisputeFact, PromiseFact, RequestFact, build_facts
from copilot.drafting.guardrails import check_draft
from copilot.drafting.language import detect_language, thread_language
from copilot.drafting.render import local_date, render_draft, signature
from copilot.policy.model import default_policy
from copilot.store import Store

TODAY = date(2026, 11, 16)
LIMIT = 4000
INVOICES = [
    {"number": "INV-2026-0343", "due_date": "2026-08-05", "issue_date": "2026-07-05", "amount": "31200.00",
     "open_balance": "18250.00", "currency": "EUR", "payment_link": "https://pay.example.test/i/0343"},
    {"number": "INV-2026-0357", "due_date": "2026-11-06", "issue_date": "2026-09-22", "amount": "24750.00",
     "open_balance": "24750.00", "currency": "EUR", "payment_link": "https://pay.example.test/i/0357",
     "po_number": "PO-76831"},
]  # fmt: skip
REPLIES = {
    "de": "Guten Tag, wir haben die Rechnung erhalten und werden die Zahlung bis Freitag überweisen. Mit freundlichen Grüßen",
    "fr": "Bonjour, nous avons bien reçu la facture et le virement sera fait vendredi. Cordialement",
    "es": "Hola, hemos recibido la factura y el pago se hará el viernes por transferencia. Saludos",
    "nl": "Beste, wij hebben de factuur ontvangen en de betaling wordt vrijdag overgemaakt. Met vriendelijke groet",
    "en": "Hi, we have received the invoice and the payment will be made on Friday. Thanks",
}
GREETINGS = {"de": "Guten Tag Jana Meier,", "fr": "Bonjour Jana Meier,", "es": "Hola, Jana Meier:", "nl": "Beste Jana Meier,"}


def facts(language: str, kind: str = "reminder", tier: int = 1, name: str | None = "Jana Meier", **extra):
    return build_facts(kind=kind, tier=tier, customer={"id": "C-1", "name": "Ostwind & Co", "segment": "mid-market"},
                       contact={"email": "ap@ostwind.example", "name": name}, invoices=INVOICES, as_of=TODAY,
                       policy=default_policy(), settings=Settings(), language=language, **extra)  # fmt: skip


@pytest.mark.parametrize("language", ["de", "fr", "es", "nl", "en"])
def test_the_language_of_a_reply_is_detected(language):
    assert detect_language(REPLIES[language]) == language


def test_too_little_text_says_nothing():
    assert detect_language("OK, danke") is None and detect_language("") is None


def _variants():
    for language in ("de", "fr", "es", "nl"):
        for kind, tier in (("reminder", 1), ("reminder", 2), ("reminder", 3), ("reminder", 4), ("pre_due", 0),
                           ("broken_promise", 2), ("request_reply", 2), ("dispute_reply", 0)):  # fmt: skip
            for tone in ("standard", "warmer", "firmer"):
                yield pytest.param(language, kind, tier, tone, id=f"{language}-{kind}-{tier}-{tone}")


@pytest.mark.parametrize(("language", "kind", "tier", "tone"), list(_variants()))
def test_every_translated_template_renders_in_its_language_and_passes_the_guardrails(language, kind, tier, tone):
    extra = {}
    if kind == "broken_promise":
        extra["promise"] = PromiseFact(promised_date=date(2026, 11, 10), amount=Decimal("18250.00"), currency="EUR")
    if kind == "request_reply":
        extra["request"] = RequestFact(kind="po", subject="PO", received_on=date(2026, 11, 12))
    if kind == "dispute_reply":
        extra["dispute"] = DisputeFact(outcome="partial_credit", reason="Menge", credit=Decimal("250.00"), currency="EUR",
                                       remaining=Decimal("42750.00"))  # fmt: skip
    f = facts(language, kind, tier, **extra)
    rendered = render_draft(f, tone)
    base = f"tier{tier}" if kind == "reminder" else kind
    assert rendered.template == f"email/{language}/{base}.txt.j2"
    assert rendered.body.startswith(GREETINGS[language])
    assert "Hello" not in rendered.body and "invoice" not in rendered.body.lower().replace("invoice_", "")
    assert check_draft(rendered.subject, rendered.body, f, LIMIT) == []
    assert detect_language(rendered.body) == language


@pytest.mark.parametrize("language", ["de", "fr", "es", "nl"])
def test_ages_are_stated_per_invoice_and_tier_four_names_the_oldest(language):
    body = render_draft(facts(language, tier=4)).body
    assert "103" in body and "10" in body  # 103 days for the August invoice, 10 for the November one
    assert "90" not in body  # no blanket "more than 90 days" claim


@pytest.mark.parametrize("language", ["de", "fr", "es", "nl"])
def test_the_same_guardrails_catch_a_wrong_amount_or_a_threat_in_a_translation(language):
    f = facts(language, tier=2)
    rendered = render_draft(f)
    assert {x.check for x in check_draft(rendered.subject, rendered.body + "\nEUR 99,999.00", f, LIMIT)} == {"amount"}
    threat = {"de": "Inkasso", "fr": "avocat", "es": "abogado", "nl": "incassobureau"}[language]
    assert {x.check for x in check_draft(rendered.subject, f"{rendered.body}\n{threat}", f, LIMIT)} == {"threat"}


def test_dates_and_sign_offs_are_written_the_local_way():
    day = date(2026, 3, 5)
    assert [local_date(day, lang) for lang in ("de", "fr", "es", "nl", "en")] == [
        "5. März 2026", "5 mars 2026", "5 de marzo de 2026", "5 maart 2026", "5 March 2026"]  # fmt: skip
    sender = facts("de").sender
    assert signature(sender, "de").startswith("Mit freundlichen Grüßen\n") and signature(sender).startswith("Kind regards,")


def test_without_a_name_the_team_is_greeted_in_the_language():
    assert render_draft(facts("fr", name=None)).body.startswith("Bonjour à l'équipe de Ostwind & Co,")


def _store_with_replies(texts: list[str], contact_language: str | None = None) -> Store:
    store = Store.memory()
    store.db["customers"].insert({"id": "C-1", "name": "Ostwind", "segment": "mid-market"})
    store.db["contacts"].insert({"customer_id": "C-1", "email": "ap@ostwind.example", "language": contact_language})
    for n, text in enumerate(texts):
        store.db["messages"].insert({"direction": "inbound", "dedupe_key": f"k{n}", "customer_id": "C-1",
                                     "text_reply": text, "sent_at": f"2026-11-0{n + 1}T10:00:00+00:00"})  # fmt: skip
    return store


def test_the_thread_language_follows_the_latest_reply_that_says_enough():
    store = _store_with_replies([REPLIES["en"], REPLIES["de"], "Danke"])
    assert thread_language(store, "C-1", "ap@ostwind.example") == "de"
    assert thread_language(_store_with_replies([]), "C-1") == "en"


def test_the_contact_language_column_wins():
    store = _store_with_replies([REPLIES["de"]], contact_language="nl")
    assert thread_language(store, "C-1", "AP@ostwind.example") == "nl"
    assert thread_language(store, "C-1", "someone.else@ostwind.example") == "de"


def test_a_non_english_reply_gets_a_one_line_english_gist():
    classification = {"label": "promise_to_pay", "promise_amount": "1200.00", "promise_currency": "EUR",
                      "promise_date": "2026-11-20", "frustrated": 1}  # fmt: skip
    gist = reply_gist(REPLIES["de"], classification)
    assert gist == {"language": "German", "gist": "Promises to pay EUR 1,200.00 by 2026-11-20 (frustrated)",
                    "source": "local"}  # fmt: skip
    assert reply_gist(REPLIES["en"], classification) is None
    assert local_gist({"label": "request", "request_kind": "invoice_copy"}) == "Asks for a copy of the invoice"


def test_a_stored_gist_is_shown_instead_of_the_local_one():
    row = {"label": "promise_to_pay", "gist": "They will pay on Friday.", "gist_source": "gpt-4o-mini"}
    assert reply_gist(REPLIES["de"], row) == {"language": "German", "gist": "They will pay on Friday.",
                                               "source": "gpt-4o-mini"}  # fmt: skip


def test_a_translated_draft_comes_from_the_template_even_with_a_model_configured():
    from copilot.drafting.compose import compose_draft

    model = GenericFakeChatModel(messages=iter([]))  # would fail if it were asked
    composed = compose_draft(None, facts("nl", tier=2), default_policy(), Settings(), chat_model=model)
    assert composed.generator == "template" and composed.template == "email/nl/tier2.txt.j2" and composed.flags == []
