"""Auto-reply and bounce detection from headers, subjects in several languages, and DSNs."""

import pytest

from copilot.mail.autoreply import detect, header_signal, subject_kind
from copilot.mail.parse import parse_message
from copilot.resources import demo_data_dir
from tests.intake import mailsamples as ms


@pytest.mark.parametrize("headers, expected", [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"auto-submitted": "Auto-Generated"}, "Auto-Submitted: auto-generated"),
    ({"Auto-Submitted": "no"}, None),
    ({"X-Autoreply": "yes"}, "x-autoreply: yes"),
    ({"X-Autorespond": "Out of office"}, "x-autorespond: out of office"),
    ({"Precedence": "auto_reply"}, "Precedence: auto_reply"),
    ({"Precedence": "junk"}, "Precedence: junk"),
    ({"Precedence": "bulk"}, None),  # newsletters are not auto-replies
    ({"X-MS-Exchange-Inbox-Rules-Loop": "ap@c.example", "X-Auto-Response-Suppress": "All"}, "Exchange automatic-message headers"),
    ({"X-Auto-Response-Suppress": "All"}, None),  # ordinary Outlook mail carries this alone
    ({}, None),
])  # fmt: skip
def test_header_signals(headers, expected):
    assert header_signal(headers) == expected


@pytest.mark.parametrize("subject, kind", [
    ("Automatic reply: Payment reminder", "out_of_office"),
    ("Out of Office: INV-1", "out_of_office"),
    ("Abwesenheitsnotiz: Zahlungserinnerung", "out_of_office"),
    ("Automatische Antwort: Rechnung", "out_of_office"),
    ("Réponse automatique : Relance", "out_of_office"),
    ("Respuesta automática: Recordatorio", "out_of_office"),
    ("Risposta automatica: sollecito", "out_of_office"),
    ("Automatisch antwoord: herinnering", "out_of_office"),
    ("Automatiskt svar: påminnelse", "out_of_office"),
    ("Automatyczna odpowiedź: przypomnienie", "out_of_office"),
    ("[Ticket #AP-58213] Payment reminder", "ticket"),
    ("Re: Payment reminder INV-2026-0001", None),
    ("Re: about the office move", None),
])  # fmt: skip
def test_subject_patterns(subject, kind):
    assert subject_kind(subject) == kind


def test_subject_alone_marks_an_auto_reply():
    found = detect(parse_message(ms.plain(subject="Abwesenheitsnotiz: Ihre Nachricht", body="Ich bin bis 23.11. nicht im Büro.")))
    assert found is not None and found.kind == "out_of_office"


def test_person_writing_is_not_automatic():
    assert detect(parse_message(ms.plain())) is None


def test_demo_auto_replies():
    mail = demo_data_dir() / "mail"
    ooo = detect(parse_message((mail / "14-auto-reply-ooo.eml").read_bytes()))
    ticket = detect(parse_message((mail / "15-auto-reply-ap-ticket.eml").read_bytes()))
    assert (ooo.kind, ticket.kind) == ("out_of_office", "ticket")
    assert detect(parse_message((mail / "16-other-newsletter.eml").read_bytes())) is None


def test_dsn_bounce_names_recipient_and_original():
    found = detect(parse_message((demo_data_dir() / "mail" / "18-bounce-delivery-failure.eml").read_bytes()))
    assert found.kind == "bounce"
    assert found.bounced == ["books@tidewaterbikes.example"]
    assert found.original_message_id == "<reminder-0005@ourco.example>"
    assert found.original_subject == "Payment reminder: INV-2026-0299"


def test_person_saying_returned_mail_is_not_a_bounce():
    assert detect(parse_message(ms.plain(subject="Returned mail question", body="Why was my cheque returned?"))) is None
