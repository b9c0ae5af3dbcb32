"""Bidi controls in names, subjects and filenames are shown as markers, never obeyed by the browser."""

import pytest
from fastapi.testclient import TestClient

from copilot.config import Settings
from copilot.store import dumps
from copilot.wording import BIDI_CONTROLS, neutralise_bidi
from tests.web.conftest import open_store
from tests.web.seed import add_message


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_every_bidi_control_becomes_a_visible_marker(control: str):
    shown = neutralise_bidi(f"remittance{control}fdp.exe")
    assert control not in shown and shown == f"remittance[U+{ord(control):04X}]fdp.exe"


def test_the_ranges_named_in_unicode_are_all_covered():
    expected = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    assert {ord(c) for c in BIDI_CONTROLS} == expected
    assert neutralise_bidi("plain Ünïcode — text") == "plain Ünïcode — text"


def test_spoofed_names_subjects_and_filenames_are_neutralised_on_every_screen(collector: TestClient,
                                                                              web_settings: Settings):  # fmt: skip
    with open_store(web_settings) as store:
        mid = add_message(store, "C-1001", "Remittance \u202etxt.exe", "Paid, see the attached advice.", n=7,
                          from_addr="ap@northwindharbor.example", from_name="Accounts\u2067 Payable\u2069",
                          invoices=["INV-2026-0301"], status="classified")  # fmt: skip
        store.db["messages"].update(mid, {"attachments_json": dumps([{"filename": "remittance\u202efdp.exe",
                                                                      "content_type": "application/pdf", "size": 10}])})  # fmt: skip
        store.db["customers"].update("C-1001", {"name": "Northwind \u202eHarbor"})
    for path in (f"/messages/{mid}", "/inbox", "/customers/C-1001", "/customers", "/dashboard", "/disputes?status=all"):
        html = collector.get(path).text
        assert not any(c in html for c in BIDI_CONTROLS), path
    message = collector.get(f"/messages/{mid}").text
    assert "remittance[U+202E]fdp.exe" in message and "Remittance [U+202E]txt.exe" in message
    assert "Accounts[U+2067] Payable[U+2069]" in message
    assert "Northwind [U+202E]Harbor" in collector.get("/customers").text


def test_the_quarantine_list_in_the_terminal_neutralises_bidi_too(web_settings: Settings):
    from click.testing import CliRunner

    from copilot.cli import main

    with open_store(web_settings) as store:
        store.db["quarantine"].insert({"mailbox": "ar", "folder": "INBOX", "uidvalidity": 1, "uid": 77,
                                       "subject": "Remittance \u202etxt.exe", "from_addr": "x\u2066@example.test",
                                       "error": "bad charset", "size": 10, "status": "open", "created_at": "2026-11-16"})  # fmt: skip
    result = CliRunner().invoke(main, ["--db", str(web_settings.db_path), "quarantine", "list"])
    assert result.exit_code == 0, result.output
    assert "Remittance [U+202E]txt.exe" in result.output and "x[U+2066]@example.test" in result.output
    assert not any(c in result.output for c in BIDI_CONTROLS)
