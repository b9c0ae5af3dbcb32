import json
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
