"""Draft risks and preview, the customer timeline with notes and calls, and structured dispute resolutions."""

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from copilot import clock
from copilot.config import Settings
from copilot.drafting.plan import plan_day
from copilot.ledger.credits import pending_by_invoice
from copilot.ledger.importer import import_invoices
from copilot.policy.model import default_policy
from copilot.store import dumps, loads
from tests.web.conftest import csrf_of, open_store

ALERT = re.compile(r'<div class="risk risk-(\w+)" role="alert">')


def _risk_customers(settings: Settings) -> tuple[set[str], list[tuple[int, str]]]:
    with open_store(settings) as store:
        risky = {r[0] for r in store.db.execute(
            "select customer_id from disputes where status = 'open' union "
            "select customer_id from alerts where kind = 'frustration' and acknowledged_at is null")}  # fmt: skip
        drafts = [(r[0], r[1]) for r in store.db.execute("select id, customer_id from drafts order by id")]
    return risky, drafts


def test_every_draft_for_a_customer_with_a_dispute_or_alert_shows_an_alert(collector: TestClient, web_settings: Settings):
    risky, drafts = _risk_customers(web_settings)
    checked = 0
    for draft_id, customer_id in drafts:
        page = collector.get(f"/drafts/{draft_id}")
        assert page.status_code == 200
        kinds = set(ALERT.findall(page.text))
        if customer_id in risky:
            assert kinds & {"dispute", "frustration"}, f"draft {draft_id} for {customer_id} shows no risk banner"
            checked += 1
    assert checked >= 2  # the seed has drafts for disputed and frustrated accounts


def test_a_frustrated_customer_gets_a_banner_quoting_them(collector: TestClient, web_settings: Settings, ids: dict):
    with open_store(web_settings) as store:
        customer = store.db["messages"].get(ids["frustrated"])["customer_id"]
        draft = next(store.db["drafts"].rows_where("customer_id = ?", [customer]), None)
        if draft is None:  # the plan may have skipped the account; a bare draft is enough for the page
            from tests.web.seed import add_draft

            draft = {"id": add_draft(store, customer, [], contact="ap@example.test", subject="Reminder", body="Hello")}
    page = collector.get(f"/drafts/{draft['id']}").text
    assert '<div class="risk risk-frustration" role="alert">' in page
    assert "The customer is frustrated" in page and "They wrote:" in page


def test_the_preview_shows_headers_greeting_and_signature(collector: TestClient, ids: dict):
    page = collector.get(f"/drafts/{ids['draft']}").text
    preview = page.split('id="email-preview"')[1].split("</details>")[0]
    assert "<dt>From</dt>" in preview and "<dt>To</dt>" in preview and "<dt>Subject</dt>" in preview
    body = preview.split('id="preview-body">')[1].split("</pre>")[0]
    assert body.startswith("Hello ") and "Kind regards," in body


def test_a_known_contact_name_is_greeted(web_settings: Settings, tmp_path, today):
    csv = tmp_path / "inv.csv"
    csv.write_text("customer_id,customer_name,segment,billing_emails,contact_names,contact_roles,invoice_number,"
                   "due_date,amount,currency,payment_link\n"
                   "C-9001,Ostwind GmbH,mid-market,ap@ostwind.example;cfo@ostwind.example,Jana Meier;Tom Berg,"
                   "accounts payable;finance director,OST-1,2026-10-01,1200.00,EUR,https://pay.example/ost1\n")  # fmt: skip
    with open_store(web_settings) as store:
        import_invoices(store, csv, default_policy())
        contacts = {c["email"]: c for c in store.db["contacts"].rows_where("customer_id = 'C-9001'")}
        assert contacts["ap@ostwind.example"]["name"] == "Jana Meier"
        assert contacts["cfo@ostwind.example"]["role"] == "finance director"
        plan_day(store, default_policy(), web_settings, today)
        draft = next(store.db["drafts"].rows_where("customer_id = 'C-9001'"))
    assert draft["body"].startswith("Hello Jana Meier,")


def test_contact_names_must_match_the_billing_emails(web_settings: Settings, tmp_path):
    from copilot.errors import ImportRejected

    csv = tmp_path / "inv.csv"
    csv.write_text("customer_id,customer_name,segment,billing_emails,contact_names,contact_language,invoice_number,"
                   "due_date,amount,currency\n"
                   "C-9002,Two Names Ltd,mid-market,a@two.example,Ann;Bob,en,TWO-1,2026-10-01,10.00,EUR\n"
                   "C-9003,Klingon Ltd,mid-market,a@k.example,Ann,tlh,K-1,2026-10-01,10.00,EUR\n")  # fmt: skip
    with open_store(web_settings) as store:
        try:
            import_invoices(store, csv, default_policy())
        except ImportRejected as exc:
            text = str(exc)
        else:
            raise AssertionError("the file was imported")
    assert "contact_names has 2 entries but billing_emails has 1" in text
    assert "contact_language 'tlh' is not one of en, de, fr, es, nl" in text


def test_customer_page_headline_due_in_days_and_plain_timeline(collector: TestClient, web_settings: Settings):
    page = collector.get("/customers/C-1005").text
    assert 'aria-label="Balance"' in page and "Overdue" in page
    assert not re.search(r'class="num nowrap">-\d', page)  # no negative "days past due"
    assert 'id="timeline"' in page and "Reply from" in page
    assert "/customers/C-1005/audit" in page
    assert "status_changed by" not in page.split('id="timeline"')[1]  # the raw log lives on its own page
    with open_store(web_settings) as store:
        store.db["invoices"].update("INV-2026-0316", {"due_date": (clock.today().replace(day=26)).isoformat()})
    page = collector.get("/customers/C-1005").text
    assert "due in 10 days" in page
    audit = collector.get("/customers/C-1005/audit")
    assert audit.status_code == 200 and "Audit log" in audit.text


def test_notes_and_calls_are_added_audited_and_shown(collector: TestClient, web_settings: Settings):
    token = csrf_of(collector, "/customers/C-1005")
    r = collector.post("/customers/C-1005/notes", data={"csrf_token": token, "kind": "call", "contact": "Priya",
                                                        "outcome": "promised", "body": "Paying Friday by wire"})  # fmt: skip
    assert r.status_code == 303
    r = collector.post("/customers/C-1005/notes", data={"csrf_token": token, "kind": "note", "body": "<b>VIP</b>"})
    assert r.status_code == 303
    page = collector.get("/customers/C-1005").text
    assert "Call with Priya: they promised to pay" in page and "Paying Friday by wire" in page
    assert "&lt;b&gt;VIP&lt;/b&gt;" in page
    with open_store(web_settings) as store:
        events = [(e["entity_type"], e["action"], e["actor"]) for e in store.audit_events() if e["entity_type"] in ("note", "call")]
    assert events == [("call", "added", "user:casey"), ("note", "added", "user:casey")]
    bad = collector.post("/customers/C-1005/notes", data={"csrf_token": token, "kind": "call", "body": "x"})
    assert bad.status_code == 400 and "say how the call went" in bad.text
    forged = collector.post("/customers/C-1005/notes", data={"csrf_token": "nope", "kind": "note", "body": "x"})
    assert forged.status_code in (400, 403)


def _open_dispute(settings: Settings, amount_due: str = "2026-09-01") -> tuple[int, str, Decimal]:
    with open_store(settings) as store:
        row = next(store.db.query("select d.id, d.invoice_numbers_json from disputes d where d.status = 'open' and "
                                  "json_array_length(d.invoice_numbers_json) = 1 order by d.id"))  # fmt: skip
        number = loads(row["invoice_numbers_json"])[0]
        balance = Decimal(store.db["invoices"].get(number)["open_balance"])
    return row["id"], number, balance


def test_dispute_page_shows_amount_at_stake_and_edits_reason_and_owner(collector: TestClient, web_settings: Settings):
    dispute_id, number, balance = _open_dispute(web_settings)
    page = collector.get(f"/disputes/{dispute_id}").text
    assert f"{balance:,.2f}" in page.split('id="at-stake">')[1].split("</span>")[0]
    assert f"{balance:,.2f}" in collector.get("/disputes").text
    token = csrf_of(collector, f"/disputes/{dispute_id}")
    r = collector.post(f"/disputes/{dispute_id}/edit", data={"csrf_token": token, "reason": "wrong licence count",
                                                             "owner": "casey"})  # fmt: skip
    assert r.status_code == 303
    r = collector.post(f"/disputes/{dispute_id}/edit", data={"csrf_token": token, "reason": "x", "owner": "dana"})
    assert r.status_code == 400 and "no active user named &#39;dana&#39;" in r.text  # account team members do not own cases
    with open_store(web_settings) as store:
        case = store.db["disputes"].get(dispute_id)
        edits = [e for e in store.audit_events("dispute", dispute_id) if e["action"] == "edited"]
    assert (case["reason"], case["owner_user"]) == ("wrong licence count", "casey")
    assert len(edits) == 1 and edits[0]["actor"] == "user:casey"


def test_a_credit_note_lowers_the_chased_amount_until_the_erp_books_it(collector: TestClient, web_settings: Settings,
                                                                        tmp_path, today):  # fmt: skip
    dispute_id, number, balance = _open_dispute(web_settings)
    credit = Decimal("100.00")
    token = csrf_of(collector, f"/disputes/{dispute_id}")
    r = collector.post(f"/disputes/{dispute_id}/resolve", data={"csrf_token": token, "outcome": "partial_credit",
                                                                "amount": "100.00"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/drafts/")
    reply_id = int(r.headers["location"].rsplit("/", 1)[1])
    with open_store(web_settings) as store:
        case = store.db["disputes"].get(dispute_id)
        assert (case["status"], case["resolution_kind"], case["resolution_amount"]) == ("resolved", "partial_credit", "100.00")
        assert pending_by_invoice(store) == {number: credit}
        reply = store.db["drafts"].get(reply_id)
        assert reply["kind"] == "dispute_reply" and reply["status"] == "draft"
        assert f"{credit:,.2f}" in reply["body"] and f"{balance - credit:,.2f}" in reply["body"]
        assert loads(reply["guardrail_flags_json"]) == []
        # The planner sees the balance less the credit.
        from copilot.drafting.snapshot import read_snapshot

        snap = read_snapshot(store, today, default_policy())
        chased = {i["number"]: Decimal(i["open_balance"]) for rows in snap.invoices.values() for i in rows}
        assert chased[number] == balance - credit
        # The ERP books the credit note: the import confirms it and the ledger's balance takes over.
        inv = store.db["invoices"].get(number)
        cust = store.db["customers"].get(inv["customer_id"])
        csv = tmp_path / "erp.csv"
        csv.write_text("customer_id,customer_name,segment,invoice_number,due_date,amount,currency,open_balance\n"
                       f"{cust['id']},{cust['name']},{cust['segment']},{number},{inv['due_date']},{inv['amount']},"
                       f"{inv['currency']},{balance - credit}\n")  # fmt: skip
        import_invoices(store, csv, default_policy())
        assert pending_by_invoice(store) == {}
        assert [e["action"] for e in store.audit_events("credit")] == ["pending", "confirmed"]
        snap = read_snapshot(store, today, default_policy())
        chased = {i["number"]: Decimal(i["open_balance"]) for rows in snap.invoices.values() for i in rows}
        assert chased[number] == balance - credit  # not lowered twice
    page = collector.get(f"/drafts/{reply_id}").text
    assert "dispute reply" in page


def test_a_partial_credit_must_be_less_than_the_balance(collector: TestClient, web_settings: Settings):
    dispute_id, number, balance = _open_dispute(web_settings)
    token = csrf_of(collector, f"/disputes/{dispute_id}")
    r = collector.post(f"/disputes/{dispute_id}/resolve", data={"csrf_token": token, "outcome": "partial_credit",
                                                                "amount": f"{balance}"})  # fmt: skip
    assert r.status_code == 400 and "must be less than" in r.text
    r = collector.post(f"/disputes/{dispute_id}/resolve", data={"csrf_token": token, "outcome": "credit_note",
                                                                "amount": "-5"})  # fmt: skip
    assert r.status_code == 400 and "must be positive" in r.text
    with open_store(web_settings) as store:
        assert store.db["disputes"].get(dispute_id)["status"] == "open"
        assert not store.db["pending_credits"].count


def test_a_void_stops_the_invoice_being_chased_and_the_reply_asks_for_nothing(collector: TestClient,
                                                                              web_settings: Settings, today):  # fmt: skip
    dispute_id, number, _ = _open_dispute(web_settings)
    token = csrf_of(collector, f"/disputes/{dispute_id}")
    r = collector.post(f"/disputes/{dispute_id}/resolve", data={"csrf_token": token, "outcome": "void"})
    reply_id = int(r.headers["location"].rsplit("/", 1)[1])
    with open_store(web_settings) as store:
        from copilot.drafting.snapshot import read_snapshot

        snap = read_snapshot(store, today, default_policy())
        assert number not in {i["number"] for rows in snap.invoices.values() for i in rows}
        reply = store.db["drafts"].get(reply_id)
        assert reply["template"].endswith("dispute_reply.txt.j2") and "https://" not in reply["body"]
        # This customer writes in French, so the reply is French too.
        assert loads(reply["facts_json"])["language"] == "fr" and "rien n'est dû" in reply["body"]
        assert loads(reply["guardrail_flags_json"]) == []
        assert dumps([number]) == reply["invoice_numbers_json"]


def test_each_kind_of_risk_has_its_own_alert(collector: TestClient, web_settings: Settings, ids: dict):
    draft_id = ids["draft"]  # Ironbark, C-1005
    with open_store(web_settings) as store:
        draft = store.db["drafts"].get(draft_id)
        contact = loads(draft["to_json"])[0]
        store.db["contacts"].insert({"customer_id": "C-1005", "email": "old@ironbark-fab.example", "status": "bouncing",
                                     "status_reason": "bounce in message 3"})  # fmt: skip
        store.db["contacts"].update(next(store.db["contacts"].rows_where("email = ?", [contact]))["id"],
                                    {"status": "bouncing"})  # fmt: skip
        store.db["promises"].insert({"customer_id": "C-1005", "promised_date": "2026-11-25", "amount": "500.00",
                                     "currency": "GBP", "status": "open", "invoice_numbers_json": "[]"})  # fmt: skip
        store.db["tasks"].insert({"customer_id": "C-1005", "kind": "invoice_copy", "description": "Send a copy",
                                  "status": "open", "due_date": "2026-11-18"})  # fmt: skip
        from tests.web.seed import add_message

        late = add_message(store, "C-1005", "Question", "Which invoice is this?", from_addr=contact, n=8,
                           status="needs_review")  # fmt: skip
        store.db["messages"].update(late, {"sent_at": "2026-11-16T23:59:00+00:00"})  # after the draft was planned
        store.db["drafts"].update(draft_id, {"stale_at": None, "stale_reason": None})  # the seed's own mark, cleared
        from copilot.drafting.stale import mark_stale

        mark_stale(store, "C-1005", "a reply arrived after the draft was planned", "test")
        store.db["customers"].update("C-1005", {"flag": "legal hold requested by finance"})
    page = collector.get(f"/drafts/{draft_id}").text
    kinds = ALERT.findall(page)
    assert {"bounce", "promise", "review", "task", "stale", "flag"} <= set(kinds), kinds  # disputes: tests above
    assert kinds.index("bounce") < kinds.index("promise") < kinds.index("task")  # most serious first
    assert "This draft is addressed to it" in page and "Promise to pay in force: GBP 500.00 by 25 Nov 2026" in page
    assert "Stale: a reply arrived after the draft was planned" in page  # the stale mark's reason, in words
