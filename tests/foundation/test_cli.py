"""The CLI as a user runs it."""

import json

from click.testing import CliRunner

from copilot.cli import main
from copilot.resources import demo_data_dir


def _run(*args: str):
    return CliRunner().invoke(main, ["--db", "c.db", "--today", "2026-11-16", *args], catch_exceptions=False)


def test_import_and_aging_json():
    result = _run("import", "invoices", str(demo_data_dir() / "invoices.csv"))
    assert result.exit_code == 0, result.output
    assert "45 created" in result.output
    assert _run("import", "payments", str(demo_data_dir() / "payments.csv")).exit_code == 0
    report = json.loads(_run("aging", "--json").output)
    names = [b["bucket"] for b in report["buckets"]]
    assert names == ["0-30", "31-60", "61-90", "90+"]
    assert all(b["count"] > 0 for b in report["buckets"])
    assert {"USD", "EUR"} <= {c for b in report["buckets"] for c in b["totals"]}
    assert report["not_due"]["count"] > 0


def test_bad_file_exits_with_a_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00junk")
    result = CliRunner().invoke(main, ["--db", "c.db", "import", "invoices", str(bad)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output and "Traceback" not in result.output


def test_wrong_setting_stops_startup(monkeypatch):
    monkeypatch.setenv("COPILOT_IMAP__PORT", "not-a-port")
    result = CliRunner().invoke(main, ["aging"])
    assert result.exit_code == 1
    assert "COPILOT_IMAP__PORT" in result.output


def test_every_command_has_help():
    for name, command in main.commands.items():
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help or command.short_help, name
