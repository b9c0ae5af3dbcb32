"""One reply that cannot be routed never stops the rest: it is rolled back alone, waits for review, and is reported."""

import pytest
from click.testing import CliRunner

from copilot.cli import main
from copilot.cli.app import EXIT_NEEDS_ATTENTION
from copilot.ledger import importer
from copilot.policy.model import default_policy
from copilot.resources import demo_data_dir
from copilot.routing import apply, service
from copilot.routing.isolation import RoutingReport, route_isolated
from copilot.routing.service import route_classified
from copilot.routing.triage import triage_pending
from copilot.store import Store
from tests.routing.seed import classify, seed_reply

# Tables routing writes to for a dispute (case, pauses, alert, decision); none may keep a row for a failed reply.
ROUTING_TABLES = ("disputes", "promises", "tasks", "alerts", "routing_decisions")


def seed_disputes(store: Store, count: int = 4) -> list[int]:
    """One classified, frustrated dispute on each of `count` customers: routing each writes a case, pauses, an alert."""
    picks = store.conn.execute(
        "select customer_id, min(number) from invoices where status in ('open', 'partially_paid') "
        "group by customer_id order by customer_id limit ?",
        [count],
    ).fetchall()
    assert len(picks) == count
    ids = []
    for customer_id, number in picks:
        mid = seed_reply(store, customer_id, f"We dispute {number}: the quantity billed is wrong.", invoices=(number,))
        classify(store, mid, "dispute", confidence=0.95, frustrated=True, dispute_reason="wrong_quantity",
                 evidence="the quantity billed is wrong")  # fmt: skip
        ids.append(mid)
    return ids


def fail_after_writing(monkeypatch, message_id: int) -> None:
    """Make routing of one reply raise after its decision was fully written, as a late bug or constraint would."""
    real = apply.apply_actions

    def apply_then_fail(store, state, *args, **kwargs):
        decision = real(store, state, *args, **kwargs)
        if state.message.id == message_id:
            raise RuntimeError(f"route bug after writing decision {decision}")
        return decision

    monkeypatch.setattr(service, "apply_actions", apply_then_fail)


def rows_for(store: Store, message_id: int) -> dict[str, int]:
    found = {t: store.db[t].count_where("message_id = ?", [message_id]) for t in ROUTING_TABLES}
    found["pauses"] = store.db["pauses"].count_where("note like ?", [f"%reply {message_id} classified%"])
    return found


def test_a_failing_route_rolls_back_that_reply_alone_and_sends_it_to_review(ledger_store, policy, settings, monkeypatch):
    store = ledger_store
    ids = seed_disputes(store)
    bad = ids[1]
    fail_after_writing(monkeypatch, bad)
    report = route_classified(store, policy, settings)

    assert report.routed == [i for i in ids if i != bad]
    assert list(report.failed) == [bad] and "RuntimeError: route bug" in report.failed[bad]
    statuses = {r["id"]: r["status"] for r in store.db["messages"].rows}
    assert statuses == {i: ("needs_review" if i == bad else "routed") for i in ids}
    # The others got their whole decision; the failed one kept nothing, though its writes had all been made.
    for mid in ids:
        written = rows_for(store, mid)
        if mid == bad:
            assert written == dict.fromkeys(written, 0), written
        else:
            assert written["disputes"] == written["alerts"] == written["routing_decisions"] == 1, written
            assert written["pauses"] >= 1, written
    row = store.db["messages"].get(bad)
    assert row["review_reason"].startswith("routing failed") and "route bug after writing decision" in row["review_reason"]
    events = store.audit_events("message", bad)
    assert [e["action"] for e in events][-1] == "routing_failed"
    assert events[-1]["reason"] == row["review_reason"] and events[-1]["actor"] == "router"
    assert not any(e["action"] == "status_changed" for e in events)  # the rolled-back "routed" left no trace
    assert store.db["disputes"].count == len(ids) - 1


def test_the_failed_reply_waits_in_review_and_a_later_pass_does_not_retry_it(ledger_store, policy, settings, monkeypatch):
    store = ledger_store
    ids = seed_disputes(store, 2)
    monkeypatch.setattr(service, "route_message", _raise_for(ids[0], service.route_message))
    first = route_classified(store, policy, settings)
    assert (first.routed, list(first.failed)) == ([ids[1]], [ids[0]])
    monkeypatch.undo()
    again = route_classified(store, policy, settings)
    assert again.routed == [] and again.failed == {}
    review = store.conn.execute("select id from messages where status = 'needs_review'").fetchall()
    assert review == [(ids[0],)]


def test_a_constraint_the_database_enforces_mid_routing_is_isolated(ledger_store, policy, settings):
    """A real refusal by SQLite after the reply's dispute was written (a trigger aborting its pause), no stand-in."""
    store = ledger_store
    ids = seed_disputes(store, 3)
    bad = ids[2]
    store.conn.execute(f"create trigger refuse_pause before insert on pauses when new.note like '%reply {bad} classified%' "
                       "begin select raise(abort, 'pause refused by a database rule'); end")  # fmt: skip
    report = route_classified(store, policy, settings)
    assert report.routed == ids[:2] and list(report.failed) == [bad]
    assert "IntegrityError: pause refused by a database rule" in report.failed[bad]
    assert rows_for(store, bad) == dict.fromkeys(rows_for(store, bad), 0)  # its dispute, written first, is gone too
    assert store.db["messages"].get(bad)["status"] == "needs_review"
    assert all(rows_for(store, mid)["disputes"] == 1 for mid in ids[:2])


def test_bad_data_on_one_reply_is_isolated(ledger_store, policy, settings):
    store = ledger_store
    ids = seed_disputes(store, 3)
    bad = ids[0]
    store.conn.execute("update messages set invoice_numbers_json = '[\"INV-' where id = ?", [bad])
    report = route_classified(store, policy, settings)
    assert report.routed == ids[1:] and list(report.failed) == [bad]
    assert "JSONDecodeError" in store.db["messages"].get(bad)["review_reason"]


def test_keyboard_interrupt_is_not_swallowed(ledger_store):
    store = ledger_store
    (mid,) = seed_disputes(store, 1)

    def interrupted(store, message_id):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        route_isolated(store, mid, interrupted, "router", RoutingReport())
    assert store.db["messages"].get(mid)["status"] == "classified"


def test_triage_routing_right_after_classifying_is_isolated_too(ledger_store, policy, settings, monkeypatch):
    store = ledger_store
    ids = seed_disputes(store, 3)
    store.conn.execute("update messages set status = 'pending'")
    store.conn.execute("delete from classifications")
    bad = ids[0]
    fail_after_writing(monkeypatch, bad)
    report = RoutingReport()

    done = triage_pending(store, _Disputes(), service.make_router(policy, settings), report=report)

    assert done == 3
    assert report.routed == ids[1:] and list(report.failed) == [bad]
    assert rows_for(store, bad) == dict.fromkeys(rows_for(store, bad), 0)
    statuses = [r["status"] for r in store.db["messages"].rows_where(order_by="id")]
    assert statuses == ["needs_review", "routed", "routed"]
    assert store.audit_events("message", bad)[-1]["action"] == "routing_failed"


# -- the command -------------------------------------------------------------------------------------
@pytest.fixture
def db(tmp_path, today):
    path = tmp_path / "c.db"
    store = Store.open(path)
    importer.import_invoices(store, demo_data_dir() / "invoices.csv", default_policy(), actor="test")
    ids = seed_disputes(store, 4)
    store.close()
    return path, ids


def test_tick_routes_the_rest_reports_the_failure_and_exits_3(db, monkeypatch):
    path, ids = db
    bad = ids[2]
    fail_after_writing(monkeypatch, bad)
    result = CliRunner().invoke(main, ["--db", str(path), "tick", "--no-deliver"])

    assert result.exit_code == EXIT_NEEDS_ATTENTION, result.output
    assert f"3 replies routed, 1 could not be routed and wait for review (#{bad})" in result.output
    assert f"reply #{bad} sent to review: routing failed" in result.output and "route bug" in result.output
    store = Store.open(path)
    try:
        statuses = {r["id"]: r["status"] for r in store.db["messages"].rows}
        assert statuses == {i: ("needs_review" if i == bad else "routed") for i in ids}
        assert rows_for(store, bad) == dict.fromkeys(rows_for(store, bad), 0)
    finally:
        store.close()

    monkeypatch.undo()
    again = CliRunner().invoke(main, ["--db", str(path), "tick", "--no-deliver"])
    assert again.exit_code == 0, again.output  # nothing new failed: the reply waits for a person, not for tick
    assert "0 replies routed;" in again.output


class _Disputes:
    """A classifier that calls every reply a dispute."""

    name = "disputes"

    def classify(self, reply):
        from copilot.labels import Classification, Label

        return Classification(label=Label.DISPUTE, confidence=0.95, dispute_reason="wrong_quantity")


def _raise_for(message_id: int, real):
    def route(store, mid, *args, **kwargs):
        if mid == message_id:
            raise ValueError(f"bad data in reply {mid}")
        return real(store, mid, *args, **kwargs)

    return route


def test_poll_routes_the_rest_after_classifying_and_exits_3(tmp_path, today, monkeypatch):
    from tests.intake import mailsamples as ms

    path = tmp_path / "p.db"
    store = Store.open(path)
    importer.import_invoices(store, demo_data_dir() / "invoices.csv", default_policy(), actor="test")
    store.close()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(4):
        (inbox / f"{i}.eml").write_bytes(ms.plain(subject=f"Re: INV-2026-0310 ({i})", body=f"We will pay INV-2026-0310 on Friday ({i}).",
                                                  sender="ap@northwindharbor.example", msgid=f"<p{i}@northwindharbor.example>"))  # fmt: skip
    bad = 2  # the second stored reply
    monkeypatch.setattr(service, "route_message", _raise_for(bad, service.route_message))

    result = CliRunner().invoke(main, ["--db", str(path), "poll", "--once", "--from-dir", str(inbox)])

    assert result.exit_code == EXIT_NEEDS_ATTENTION, result.output
    assert "4 stored" in result.output
    assert f"Routing: 3 routed, 1 could not be routed and wait for review (#{bad})." in result.output
    assert f"reply #{bad} sent to review: routing failed and nothing it would have changed was kept: " \
           f"ValueError: bad data in reply {bad}" in result.output  # fmt: skip
    store = Store.open(path)
    try:
        rows = {r["id"]: r for r in store.db["messages"].rows}
        assert rows[bad]["status"] == "needs_review" and "bad data" in rows[bad]["review_reason"]
        assert all(r["status"] not in ("pending", "classified") for r in rows.values())
        decided = {r[0] for r in store.conn.execute("select message_id from routing_decisions")}
        assert decided == set(rows) - {bad}
    finally:
        store.close()


def test_whatever_a_failing_router_wrote_itself_is_rolled_back(ledger_store):
    """Any router, not only route_message with its own transaction: route_isolated's transaction undoes its writes."""
    store = ledger_store
    ids = seed_disputes(store, 3)
    store.conn.execute("update messages set status = 'pending'")
    store.conn.execute("delete from classifications")
    bad = ids[1]

    def router(store, message_id):
        store.insert("tasks", {"customer_id": "C-1001", "message_id": message_id, "kind": "check", "description": "x",
                               "status": "open", "created_at": "2026-11-16T10:00:00+00:00"})  # fmt: skip
        store.audit("router", "message", message_id, "half_done", reason="written before the failure")
        if message_id == bad:
            raise LookupError("no route for this reply")

    report = RoutingReport()
    triage_pending(store, _Disputes(), router, report=report)
    assert report.routed == [ids[0], ids[2]] and list(report.failed) == [bad]
    assert [r[0] for r in store.conn.execute("select message_id from tasks order by id")] == [ids[0], ids[2]]
    assert not [e for e in store.audit_events("message", bad) if e["action"] == "half_done"]
    assert "LookupError: no route for this reply" in store.db["messages"].get(bad)["review_reason"]
