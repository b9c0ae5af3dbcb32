"""A realistic store for web tests: the demo's ledger, sample mail and planned drafts, plus users and labels."""

from datetime import date, timedelta

from copilot import clock
from copilot.classify.classifications import save_classification
from copilot.config import Settings
from copilot.demo.drafts import plan_demo_day
from copilot.demo.mail import triage_demo_mail
from copilot.demo.runner import DemoResult, load_ledger
from copilot.labels import Classification, Label
from copilot.policy.model import Policy
from copilot.routing import route_message
from copilot.store import Store, dumps
from copilot.web.users import create_user

PASSWORD = "correct-horse-battery"

# Sample replies (by the start of their subject or sender) and the label the tests start them with.
LABELS = {
    "hostile": ("hello@larkspuryoga.example", "Invoice copy", Label.REQUEST, False, 0.81, "Could you send me a copy"),
    # Wrongly labelled on purpose: the browser test corrects it to a dispute.
    "wrong_quantity": (None, "RE: Payment reminder: INV-2026-0359", Label.ACKNOWLEDGEMENT, False, 0.52, None),
    "frustrated": ("gareth.lindqvist@northwindharbor.example", "Your collection emails", Label.FRUSTRATION, True, 0.93,
                   None),
    "angry_dispute": (None, "DUPLICATE INVOICE", Label.DISPUTE, True, 0.9, None),
    "promise": (None, "INV-2026-0366 - payment", Label.PROMISE_TO_PAY, False, 0.88, None),
}


def _find(store: Store, sender: str | None, subject: str) -> int:
    sql = "direction = 'inbound' and subject like ?" + (" and from_addr = ?" if sender else "")
    args = [f"%{subject}%"] + ([sender] if sender else [])
    rows = list(store.db["messages"].rows_where(sql, args, select="id"))
    assert len(rows) == 1, f"expected one sample reply like {subject!r}, found {len(rows)}"
    return rows[0]["id"]


def add_message(store: Store, customer_id: str | None, subject: str, text: str, *, from_addr: str, n: int,
                invoices: list[str] = (), status: str = "pending", was_html: bool = False,
                from_name: str | None = None) -> int:  # fmt: skip
    """A reply inserted directly, for content the sample mailbox does not have."""
    at = f"2026-11-15T10:{n:02d}:00+00:00"
    return store.db["messages"].insert({
        "direction": "inbound", "mailbox": "test", "folder": "INBOX", "uidvalidity": 1, "uid": 900 + n,
        "message_id": f"<web-test-{n}@example.test>", "dedupe_key": f"web-test-{n}", "subject": subject,
        "from_addr": from_addr, "from_name": from_name, "sent_at": at, "received_at": at, "text_full": text,
        "text_reply": text, "body_was_html": int(was_html), "customer_id": customer_id,
        "invoice_numbers_json": dumps(list(invoices)), "match_rule": "invoice_number" if customer_id else None,
        "status": status, "created_at": clock.now_iso()}).last_pk  # fmt: skip


def add_draft(store: Store, customer_id: str, invoices: list[str], *, contact: str, subject: str, body: str) -> int:
    """A bare draft row, for tests that only read or reject it."""
    return store.db["drafts"].insert({
        "customer_id": customer_id, "contact_email": contact, "to_json": dumps([contact]), "cc_json": dumps([]),
        "kind": "reminder", "tier": 2, "segment": "mid-market", "generator": "template", "subject": subject,
        "body": body, "original_body": body, "invoice_numbers_json": dumps(invoices), "facts_json": "{}",
        "guardrail_flags_json": "[]", "plan_date": clock.today().isoformat(), "status": "draft",
        "created_at": clock.now_iso(), "updated_at": clock.now_iso()}).last_pk  # fmt: skip


def seed(store: Store, policy: Policy, today: date) -> dict:
    """Run the demo's data steps, then label a few replies, route them and add users; returns ids tests need."""
    result = DemoResult(store.path, today)
    load_ledger(store, policy, result)
    triage_demo_mail(store, policy, result)
    plan_demo_day(store, policy, result)
    settings = Settings()
    ids: dict = {"users": {}}
    for name, role, email in (("casey", "collector", "casey@ourco.example"),
                              ("dana", "account_team", "dana.reyes@ourco.example"), ("root", "admin", None)):  # fmt: skip
        ids["users"][name] = create_user(store, name, PASSWORD, role, email=email, actor="seed")
    for key, (sender, subject, label, frustrated, confidence, evidence) in LABELS.items():
        ids[key] = _find(store, sender, subject)
        found = Classification(label=label, frustrated=frustrated, confidence=confidence, evidence=evidence,
                               source="local", promise_date=date(2026, 11, 20) if label is Label.PROMISE_TO_PAY else None)  # fmt: skip
        save_classification(store, ids[key], found, "triage")
        store.db["messages"].update(ids[key], {"status": "classified"})
        route_message(store, ids[key], policy, settings, actor="router")
    ids["unmatched"] = next(store.db["messages"].rows_where("direction = 'inbound' and status = 'unmatched'"))["id"]
    # The worst case for display: a converter that let the markup through. It must still be shown as text.
    raw = (store.db["messages"].get(ids["hostile"])["text_full"] or "") + (
        "\n<script>alert('x')</script>\n<img src=x onerror=\"alert(1)\">\n<a href=\"javascript:alert(2)\">link</a>\n")
    ids["hostile_raw"] = add_message(store, "C-1009", "<img src=x onerror=alert(3)>Copy <b>please</b>", raw, n=1,
                                     from_addr="hello@larkspuryoga.example", from_name="<script>alert(4)</script>",
                                     invoices=["INV-2026-0383"], was_html=True)  # fmt: skip
    save_classification(store, ids["hostile_raw"], Classification(label=Label.REQUEST, confidence=0.6,
                        evidence="<script>alert('x')</script>", source="local"), "triage")  # fmt: skip
    ids["draft"] = _draft_for(store, "C-1005")
    ids["drafts"] = [r["id"] for r in store.db["drafts"].rows_where("status = 'draft'", select="id", order_by="id")]
    now = clock.now()
    ids["late_dispute"] = store.db["disputes"].insert({
        "customer_id": "C-1004", "invoice_numbers_json": dumps(["INV-2026-0327"]), "reason": "pricing",
        "owner_email": "billing@ourco.example", "status": "open",
        "opened_at": (now - timedelta(days=9)).isoformat(timespec="seconds"),
        "sla_due_at": (now - timedelta(days=2)).isoformat(timespec="seconds")}).last_pk  # fmt: skip
    ids["alert"] = next(store.db["alerts"].rows_where("customer_id = 'C-1001' and kind = 'frustration'"))["id"]
    # The bounce alert from the sample mail is on Tidewater Bikes, which Dana does not own.
    ids["other_alert"] = next(store.db["alerts"].rows_where("customer_id = 'C-1010'"))["id"]
    store.db["quarantine"].insert({"mailbox": "ar", "folder": "INBOX", "uidvalidity": 1, "uid": 9, "subject": "broken",
                                   "from_addr": "x@example.test", "error": "message over the size limit",
                                   "size": 60_000_000, "status": "open", "created_at": clock.now_iso()})  # fmt: skip
    return ids


def _draft_for(store: Store, customer_id: str) -> int:
    row = next(store.db["drafts"].rows_where("customer_id = ? and status = 'draft'", [customer_id], order_by="id"), None)
    assert row is not None, f"the demo plan made no draft for {customer_id}"
    return row["id"]
