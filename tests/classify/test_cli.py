import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.cli import main
from copilot.resources import demo_data_dir

MAIL = demo_data_dir() / "mail"


@pytest.fixture
def run(monkeypatch, tmp_path, trained_model):
    monkeypatch.setenv("COPILOT_CLASSIFIER__MODEL_PATH", str(tmp_path / "model.pkl"))

    def invoke(*args: str, input: bytes | None = None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def test_classify_file_as_json(run, tmp_path: Path):
    result = run("classify", str(MAIL / "14-auto-reply-ooo.eml"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["label"] == "auto_reply" and data["auto_reply_kind"] == "out_of_office"
    assert data["return_date"] == "2026-11-23" and data["source"] == "header_gate"
    assert not (tmp_path / "copilot.db").exists()  # the offline path writes no database


def test_classify_stdin_prints_a_readable_summary(run):
    raw = (MAIL / "02-promise-date-amount.eml").read_bytes()
    result = run("classify", "-", input=raw)
    assert result.exit_code == 0, result.output
    assert "label:       promise_to_pay" in result.output
    assert "promise date: 2026-11-20" in result.output and "18250.00 USD" in result.output
    assert 'evidence:    "' in result.output


def test_evidence_is_an_exact_quote_for_every_demo_mail(run):
    from copilot.mail.parse import parse_message

    for path in sorted(MAIL.glob("*.eml")):
        data = json.loads(run("classify", str(path), "--json", "--classifier", "local").output)
        parsed = parse_message(path.read_bytes())
        assert data["evidence"] is None or data["evidence"] in (parsed.text_reply or parsed.text_full), path.name


def test_unparseable_input_is_a_clear_error(run):
    result = CliRunner().invoke(main, ["classify", "-"], input=b"   ")
    assert result.exit_code == 1 and "message is empty" in result.output


def test_missing_file_is_a_usage_error(run):
    result = CliRunner().invoke(main, ["classify", "nope.eml"])
    assert result.exit_code == 2 and "nope.eml" in result.output


def test_classify_takes_plain_text_without_headers(run):
    text = b"Hi, we will pay INV-2026-0343 next Friday, about $18,250.\n\nThanks,\nPriya\n"
    data = json.loads(run("classify", "-", "--json", "--classifier", "local", input=text).output)
    assert data["label"] == "promise_to_pay" and Decimal(data["promise_amount"]) == Decimal("18250")
    assert data["evidence"] and data["evidence"] in text.decode()


def test_plain_text_and_messages_are_told_apart():
    from copilot.classify.message import looks_like_message, reply_from_text

    assert looks_like_message((MAIL / "02-promise-date-amount.eml").read_bytes())
    assert looks_like_message(b"Subject: Re: INV-1\n\nPaid.")
    assert not looks_like_message(b"Note: we paid INV-1 yesterday.\n\nTom")
    assert not looks_like_message(b"Hi, we will pay next Friday.")
    reply = reply_from_text(b"Paid.\n\nOn Mon, 9 Nov 2026 at 10:00, AR <ar@ourco.example> wrote:\n> overdue")
    assert (reply.text, reply.subject, reply.sent_at) == ("Paid.", "", None)
    assert reply_from_text("Gr\xfc\xdfe, bezahlt.".encode("cp1252")).text == "Grüße, bezahlt."


def test_a_reply_in_another_language_gets_an_english_gist(run):
    text = "Guten Tag, wir werden die Rechnung bis zum 20.11.2026 bezahlen, 1200 EUR. Mit freundlichen Grüßen".encode()
    data = json.loads(run("classify", "-", "--json", "--classifier", "local", input=text).output)
    assert data["gist"]["language"] == "German" and data["gist"]["source"] == "local"
    assert data["gist"]["text"].startswith(("Promises to pay", "Acknowledged", "Says it is paid"))
    assert "in English:  " in run("classify", "-", "--classifier", "local", input=text).output
    english = json.loads(run("classify", "-", "--json", input=b"Hi, we will pay the invoice on Friday. Thanks").output)
    assert english["gist"] is None
