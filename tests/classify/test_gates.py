from datetime import date

import pytest

from copilot.classify.gates import apply_gates, auto_reply_kind, header_verdict
from copilot.labels import Label, Reply


@pytest.mark.parametrize(
    ("headers", "subject", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, "", "auto"),
        ({"Auto-Submitted": "auto-generated"}, "", "auto"),
        ({"Auto-Submitted": "no"}, "", None),
        ({"X-Autoreply": "yes"}, "", "auto"),
        ({"Precedence": "auto_reply"}, "", "auto"),
        ({"Precedence": "bulk"}, "", None),  # a newsletter is not an auto-reply
        ({"X-Auto-Response-Suppress": "All"}, "Re: invoice", None),  # Outlook sets it on ordinary mail too
        ({"X-Auto-Response-Suppress": "All", "X-MS-Exchange-Inbox-Rules-Loop": "a@b.example"}, "", "auto"),
        ({"X-Auto-Response-Suppress": "All"}, "Automatic reply: Payment reminder", "auto"),
        ({"Content-Type": 'multipart/report; report-type=delivery-status; boundary="x"'}, "", "bounce"),
        ({"Content-Type": "multipart/report; report-type=disposition-notification"}, "", "receipt"),
        ({"X-Failed-Recipients": "ap@x.example"}, "", "bounce"),
        ({"From": "MAILER-DAEMON@mx.example"}, "", "bounce"),
        ({"Auto-Submitted": "auto-generated", "List-Unsubscribe": "<https://x.example/u>"}, "", None),
        ({"auto-submitted": "Auto-Replied"}, "", "auto"),  # header names and values are case-insensitive
        ({}, "Automatic reply: away", None),  # a subject alone is for the model, not a gate
    ],
)
def test_header_verdict(headers, subject, expected):
    assert header_verdict(headers, subject) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I am out of the office until Monday with limited access to email.", "out_of_office"),
        ("Ich bin bis einschließlich 06.01.2026 nicht im Büro.", "out_of_office"),
        ("Your ticket #AP-58213 has been received by our service desk.", "ticket"),
        ("ScanHub Document Intake. Received: 1 document(s). Pages: 3", "scanner"),
        ("Your message could not be delivered to one or more recipients.", "bounce"),
    ],
)
def test_auto_reply_kind(text, kind):
    assert auto_reply_kind(text) == kind


def test_gate_decides_out_of_office_with_return_date():
    reply = Reply(
        subject="Automatic reply: Payment reminder",
        text="Thank you for your email. I am out of the office and will be back on 2026-11-23.",
        sent_at=date(2026, 11, 16),
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = apply_gates(reply)
    assert result is not None
    assert (result.label, result.source, result.auto_reply_kind) == (Label.AUTO_REPLY, "header_gate", "out_of_office")
    assert result.return_date == date(2026, 11, 23)
    assert result.confidence == 1.0
    assert result.evidence in reply.text


def test_inclusive_absence_returns_the_next_day():
    reply = Reply(text="Ich bin bis einschließlich 06.01.2026 nicht im Büro.", sent_at=date(2025, 12, 22),
                  headers={"Auto-Submitted": "auto-replied"})  # fmt: skip
    assert apply_gates(reply).return_date == date(2026, 1, 7)


def test_bounce_gate_and_plain_reply_passes_through():
    bounce = Reply(text="Delivery has failed to these recipients", headers={"Content-Type": "multipart/report; report-type=delivery-status"})
    assert apply_gates(bounce).auto_reply_kind == "bounce"
    assert apply_gates(Reply(text="We will pay on Friday.", headers={"Precedence": "bulk"})) is None
