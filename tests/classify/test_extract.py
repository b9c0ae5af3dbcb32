from datetime import date
from decimal import Decimal

import pytest

from copilot.classify.clean import body_for_model, strip_reply
from copilot.classify.extract import (
    dispute_reason,
    extract_amounts,
    extract_promise_date,
    extract_return_date,
    request_kind,
)

MON = date(2026, 11, 16)  # a Monday


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        ("We'll pay it on Friday.", MON, date(2026, 11, 20)),
        ("Payment will go out in Thursday's cheque run.", MON, date(2026, 11, 19)),
        ("We will clear the balance by the end of the month.", MON, date(2026, 11, 30)),
        ("It'll be paid by the end of next week at the latest.", date(2026, 2, 10), date(2026, 2, 20)),
        ("Wir überweisen den Betrag bis Ende des Monats.", MON, date(2026, 11, 30)),
        ("Nous réglerons la facture fin du mois, par virement.", date(2025, 6, 10), date(2025, 6, 30)),
        ("La pagaremos a final de mes sin falta.", date(2025, 9, 8), date(2025, 9, 30)),
        ("We betalen het bedrag uiterlijk eind van de maand.", date(2025, 2, 11), date(2025, 2, 28)),
        ("Zahlung erfolgt am 15.03.", date(2026, 3, 4), date(2026, 3, 15)),
        ("we will transfer the amount by 31.10. at the latest", date(2025, 10, 20), date(2025, 10, 31)),
        ("Payment of GBP 2,460.00 will be made on 13/03.", date(2026, 3, 4), date(2026, 3, 13)),
        ("le virement de 1 950,00 € sera effectué le 16 mars", date(2026, 3, 5), date(2026, 3, 16)),
        ("2.300,00 € el 11 de mayo y los otros 2.300,00 € el 11 de junio", date(2026, 4, 20), date(2026, 5, 11)),
        ("staat ingepland voor de betaalrun van 28 april", date(2026, 4, 9), date(2026, 4, 28)),
        ("we will remit payment on April 14.", date(2026, 4, 2), date(2026, 4, 14)),
        ("The invoice will be paid in 10 days.", date(2025, 8, 12), date(2025, 8, 22)),
        ("Will pay it tomorrow morning first thing", date(2025, 5, 21), date(2025, 5, 22)),
        ("I'll pay it by the 5th when we're back.", date(2025, 12, 18), date(2026, 1, 5)),
        ("We'll pay on the first of next month.", date(2026, 9, 14), date(2026, 10, 1)),
        ("We pay suppliers on the last Friday of each month.", date(2025, 5, 7), date(2025, 5, 30)),
        ("Value date for the transfer will be 2026-01-29.", date(2026, 1, 20), date(2026, 1, 29)),
        ("die Rechnung wird mit unserem Zahlungslauf am Freitag überwiesen", date(2026, 3, 10), date(2026, 3, 13)),
        ("Oui, le virement part mardi.", date(2025, 11, 17), date(2025, 11, 18)),
        # A date in the past is context, not the promise; the one next to the payment word wins.
        ("Your reminder of 3 November arrived. We will pay on 20 November.", MON, date(2026, 11, 20)),
        ("We will have this paid by Wednesday. The director is back on Tuesday.", date(2025, 12, 5), date(2025, 12, 10)),
        ("No date yet, sorry.", MON, None),
    ],
)
def test_promise_date(text, sent, expected):
    assert extract_promise_date(text, sent) == expected


def test_promise_date_without_reply_date_uses_the_clock(today):
    assert extract_promise_date("We will pay on Friday.", None) == date(2026, 11, 20)


def test_require_cue_ignores_dates_that_are_not_about_paying():
    assert extract_promise_date("I'll come back to you by Thursday.", MON, require_cue=True) is None
    assert extract_promise_date("Thanks - we'll pay on Thursday.", MON, require_cue=True) == date(2026, 11, 19)


def test_return_date():
    assert extract_return_date("I'm out until Jan 6 with limited access.", date(2025, 12, 20)) == date(2026, 1, 6)
    assert extract_return_date("Estoy fuera de la oficina hasta el 7 de enero.", date(2025, 12, 23)) == date(2026, 1, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("USD 18,250.00 on Friday", [(Decimal("18250.00"), "USD")]),
        ("über 4.500,00 € aber", [(Decimal("4500.00"), "EUR")]),
        ("a total of $4,200 in three parts of $1,400", [(Decimal("4200"), "USD"), (Decimal("1400"), "USD")]),
        ("Betrag € 5.000,00", [(Decimal("5000.00"), "EUR")]),
        ("1 950,00 € correspondant", [(Decimal("1950.00"), "EUR")]),
        ("GBP 2,000.00 today", [(Decimal("2000.00"), "GBP")]),
        ("invoice INV-2026-0343 is approved", []),
    ],
)
def test_amounts(text, expected):
    assert extract_amounts(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("You billed us twice for the same order - this is a duplicate.", "duplicate"),
        ("We were billed 40 licences but the PO is for 25.", "quantity"),
        ("The unit price is not what was quoted.", "pricing"),
        ("We cancelled this subscription in August.", "cancelled"),
        ("Die Ware wurde nie geliefert.", "not_delivered"),
        ("Something else entirely.", "other"),
    ],
)
def test_dispute_reason(text, reason):
    assert dispute_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Please send us a completed W-9 before we can pay.", "w9"),
        ("Could you resend the invoice as a PDF copy?", "invoice_copy"),
        ("Please confirm your IBAN and SWIFT code.", "bank_details"),
        ("Please upload it to our Coupa portal.", "portal"),
        ("Can you send a statement of account?", "statement"),
    ],
)
def test_request_kind(text, kind):
    assert request_kind(text) == kind


@pytest.mark.parametrize(
    "quoted",
    [
        "On Mon, 16 Nov 2026 at 09:00, AR <ar@ourco.example> wrote:\n> We dispute this charge",
        "From: AR Team <ar@ourco.example>\nSent: Monday, November 16, 2026 9:00 AM\nTo: ap@x.example\n\nWe dispute this charge",
        "Am 16.11.2026 um 09:00 schrieb AR <ar@ourco.example>:\n> Wir widersprechen",
        "Le lun. 16 nov. 2026 à 09:00, AR <ar@ourco.example> a écrit :\n> Nous contestons",
        "-----Original Message-----\nWe dispute this charge",
    ],
)
def test_strip_reply_drops_quoted_history(quoted):
    text = f"Thanks, we are looking into it.\n\n{quoted}"
    assert strip_reply(text) == "Thanks, we are looking into it."


def test_strip_reply_keeps_prose_and_drops_footer():
    text = "From: the looks of it this was paid.\nRegards\n\nThis email is confidential and intended only for the addressee."
    assert strip_reply(text) == "From: the looks of it this was paid."
    assert body_for_model("Hi Anna,\n\nPaid yesterday.\n\nKind regards,\nBen") == "Paid yesterday."


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        ("I'll make sure it's paid by this Friday.", date(2025, 6, 3), date(2025, 6, 6)),
        ("Oui, c'est bon, le virement part mardi.", date(2025, 11, 17), date(2025, 11, 18)),
        ("Die Zahlung wird am Freitag überwiesen.", MON, date(2026, 11, 20)),
        ("The balance was paid on Friday.", MON, None),  # past tense: the weekday is behind us
        ("Cheque was mailed on Monday.", date(2026, 11, 18), None),
        ("We paid this today.", MON, None),  # today is not after the reply
    ],
)
def test_future_commitment(text, sent, expected):
    from copilot.classify.extract import future_commitment

    assert future_commitment(text, sent) == expected


NEEDLE_PHRASES = [
    "due 2026-03-14", "by 15.03.", "on 13/03/26", "am 3. März", "el 11 de mayo", "March 4th", "fin mars",
    "end of next month", "ende des nächsten monats", "fin du mois prochain", "final del próximo mes", "eind volgende maand",
    "month-end", "monatsende", "a final de mes", "eind van de maand", "end of next week", "fin de la semaine prochaine",
    "final de esta semana", "eind deze week", "beginning of the coming month", "anfang nächsten monats",
    "début du mois prochain", "principios del mes que viene", "begin volgende maand", "last Tuesday of every month",
    "within fourteen days", "innerhalb von zehn Tagen", "dans trois semaines", "en quince días", "binnen tien dagen",
    "aujourd’hui", "close of business", "by COB", "vandaag of morgen", "mañana", "this coming Thurs", "volgende week vrijdag",
    "am 14. bezahlt", "le 5 prochain", "el día 20", "op de 3e",
]  # fmt: skip


def test_substring_prefilter_never_changes_what_find_dates_finds(monkeypatch):
    """Each pattern is skipped when none of its needles occurs; the skip must only ever drop scans that find nothing."""
    from copilot.classify import dates
    from copilot.evaluation.dataset import load_dataset
    from copilot.resources import datasets_dir

    texts = NEEDLE_PHRASES + [i.text for name in ("train.jsonl", "test.jsonl") for i in load_dataset(datasets_dir() / name)]
    filtered = [dates.find_dates(t, MON) for t in texts]
    monkeypatch.setattr(dates, "_NEEDLES", dict.fromkeys(dates._NEEDLES, ("",)))  # "" is in every text: scan all
    unfiltered = [dates.find_dates(t, MON) for t in texts]
    assert filtered == unfiltered
    assert sum(map(len, unfiltered)) > len(NEEDLE_PHRASES)  # the corpus really holds dates to lose
    found_kinds = {h.kind for hits in unfiltered for h in hits}
    assert found_kinds == {kind for kind, _ in dates._PATTERNS}  # every pattern is exercised
