"""No stranded work: whatever a stopped run left pending, the next `poll` or `tick` classifies and routes it."""

import pytest
from click.testing import CliRunner

from copilot.cli import main
from copilot.ledger import importer
from copilot.policy.model import default_policy
from copilot.resources import demo_data_dir
from copilot.routing import triage
from copilot.store import Store
from tests.intake import mailsamples as ms


@pytest.fixture
def setup(tmp_path, today):
    """A database with the demo ledger and a folder of five replies from a known customer."""
    db = tmp_path / "c.db"
    store = Store.open(db)
    importer.import_invoices(store, demo_data_dir() / "invoices.csv", default_policy(), actor="test")
    store.close()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(5):
        (inbox / f"{i}.eml").write_bytes(ms.plain(subject=f"Re: INV-2026-0310 ({i})", body=f"We will pay INV-2026-0310 on Friday ({i}).",
                                                  sender="ap@northwindharbor.example", msgid=f"<s{i}@northwindharbor.example>"))  # fmt: skip
    return db, inbox


def statuses(db) -> dict[str, int]:
    store = Store.open(db)
    try:
        return dict(store.conn.execute("select status, count(*) from messages group by status").fetchall())
    finally:
        store.close()


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_poll_with_nothing_new_still_classifies_what_is_pending(setup):
    db, inbox = setup
    run("--db", str(db), "poll", "--once", "--no-triage", "--from-dir", str(inbox))  # stored, never classified
    assert statuses(db) == {"pending": 5}
    again = run("--db", str(db), "poll", "--once", "--from-dir", str(inbox))
    assert "0 stored" in again.output and "0 waiting for classification" in again.output
    assert "pending" not in statuses(db)


def test_tick_classifies_and_routes_what_is_pending(setup):
    db, inbox = setup
    run("--db", str(db), "poll", "--once", "--no-triage", "--from-dir", str(inbox))
    ticked = run("--db", str(db), "tick", "--no-deliver")
    assert "5 replies routed" in ticked.output
    left = statuses(db)
    assert "pending" not in left and "classified" not in left and sum(left.values()) == 5


def test_a_crash_mid_classification_is_picked_up_by_the_next_poll(setup, monkeypatch):
    db, inbox = setup
    monkeypatch.setattr(triage, "TRIAGE_CHUNK", 2)
    real = triage.classify_one
    calls = []

    def crash_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process is killed mid-chunk
        return real(*args, **kwargs)

    monkeypatch.setattr(triage, "classify_one", crash_on_the_third)
    crashed = CliRunner().invoke(main, ["--db", str(db), "poll", "--once", "--from-dir", str(inbox)])
    assert crashed.exit_code != 0
    assert statuses(db).get("pending") == 3  # the first chunk committed, the rest is stranded
    monkeypatch.setattr(triage, "classify_one", real)
    again = run("--db", str(db), "poll", "--once", "--from-dir", str(inbox))
    assert "0 stored" in again.output and "0 waiting for classification" in again.output
    assert "pending" not in statuses(db)
