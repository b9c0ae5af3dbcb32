"""A small, realistic store for web tests: the demo ledger, users, drafts, triaged replies and cases."""

from email import message_from_bytes, policy as email_policy
from datetime import timedelta

import html2text

from copilot import clock, ledger
from copilot.classifications import save_classification
from copilot.labels import Classification, Label
from copilot.policy import Policy
from copilot.resources import demo_data_dir
from copilot.store import Store, dumps
from copilot.users import create_user

PASSWORD = "correct-horse-battery"
HOSTILE_FILE = "13-request-html-only.eml"


def add_message(store: Store, customer_id: str | None, subject: str, text: str, *, from_addr: str,
                invoices: list[str] = (), status: str = "classified", was_html: bool = False, n: int = 0,
                from_name: str | None = None) -> int:  # fmt: skip
    row = {"direction": "inbound", "mailbox": "ar", "folder": "INBOX", "uidvalidity": 1, "uid": 100 + n,
           "message_id": f"<m{n}@example.test>", "dedupe_key": f"k{n}", "subject": subject, "from_addr": from_addr,
           "from_name": from_name, "sent_at": f"2026-11-1{n % 6}T09:{n:02d}:00+00:00",
           "received_at": f"2026-11-1{n % 6}T09:{n:02d}:30+00:00", "text_full": text, "text_reply": text,
           "body_was_html": int(was_html), "customer_id": customer_id, "invoice_numbers_json": dumps(list(invoices)),
           "match_rule": "invoice_number" if customer_id else None, "status": status,
           "created_at": clock.now_iso()}  # fmt: skip
    return store.db["messages"].insert(row).last_pk


def hostile_text() -> str:
    """The demo's HTML-only mail, through the same kind of text conversion intake uses."""
    raw = (demo_data_dir() / "mail" / HOSTILE_FILE).read_bytes()
    html = message_from_bytes(raw, policy=email_policy.default).get_body().get_content()
    return html2text.html2text(html), html


def add_draft(store: Store, customer_id: str, invoices: list[str], *, tier: int = 2, contact: str, subject: str,
              body: str, status: str = "draft") -> int:  # fmt: skip
    row = {"customer_id": customer_id, "contact_email": contact, "to_json": dumps([contact]), "cc_json": dumps([]),
           "kind": "reminder", "tier": tier, "segment": store.db["customers"].get(customer_id)["segment"],
           "template": f"tier{tier}", "generator": "template", "subject": subject, "body": body, "original_body": body,
           "invoice_numbers_json": dumps(invoices), "facts_json": dumps({}), "guardrail_flags_json": dumps([]),
           "plan_date": clock.today().isoformat(), "status": status, "created_at": clock.now_iso(),
           "updated_at": clock.now_iso()}  # fmt: skip
    return store.db["drafts"].insert(row).last_pk


def seed(store: Store, policy: Policy, *, users: bool = True) -> dict:
    """Load the demo ledger and add what each screen shows; returns the ids tests need."""
    data = demo_data_dir()
    ledger.import_invoices(store, data / "invoices.csv", policy, actor="seed")
    ledger.import_payments(store, data / "payments.csv", actor="seed")
    ids: dict = {}
    if users:
        ids["collector"] = create_user(store, "casey", PASSWORD, "collector", email="casey@ourco.example")
        ids["account_team"] = create_user(store, "dana", PASSWORD, "account_team", email="dana.reyes@ourco.example")
        ids["admin"] = create_user(store, "root", PASSWORD, "admin")
    ids["draft"] = add_draft(store, "C-1005", ["INV-2026-0359"], contact="ap@example.test", tier=2,
                             subject="Invoice INV-2026-0359 is 41 days overdue",
                             body="Hello,\n\nInvoice INV-2026-0359 is now past due. What is holding it up?\n\nThanks")  # fmt: skip
    ids["draft2"] = add_draft(store, "C-1011", ["INV-2026-0354"], contact="books@example.test", tier=1,
                              subject="A friendly reminder", body="Hi, a quick reminder about INV-2026-0354.")  # fmt: skip
    text, html = hostile_text()
    ids["hostile"] = add_message(store, "C-1009", "Invoice copy please - INV-2026-0383", text, n=1,
                                 from_addr="hello@larkspuryoga.example", invoices=["INV-2026-0383"], was_html=True)  # fmt: skip
    # The worst case: a converter that let the markup through. It must still be shown as text.
    ids["hostile_raw"] = add_message(store, "C-1009", "<img src=x onerror=alert(3)>Copy <b>please</b>", html, n=2,
                                     from_addr="hello@larkspuryoga.example", from_name="<script>alert(4)</script>",
                                     invoices=["INV-2026-0383"], was_html=True)  # fmt: skip
    ids["reply"] = add_message(store, "C-1005", "RE: INV-2026-0359", "We only ordered 25 licences, not 40. Please fix.",
                               from_addr="ap@example.test", invoices=["INV-2026-0359"], n=3)  # fmt: skip
    ids["unmatched"] = add_message(store, None, "Statement please", "Can you send a statement?", n=4,
                                   from_addr="someone@quietmail.test", status="unmatched")  # fmt: skip
    for key, label, conf, evidence in (("hostile", Label.REQUEST, 0.82, "Could you send me a copy of invoice"),
                                       ("hostile_raw", Label.REQUEST, 0.61, None),
                                       ("reply", Label.ACKNOWLEDGEMENT, 0.52, "Please fix.")):  # fmt: skip
        save_classification(store, ids[key], Classification(label=label, confidence=conf, evidence=evidence,
                                                            source="local"), "triage")  # fmt: skip
    now = clock.now()
    ids["dispute"] = store.db["disputes"].insert({
        "customer_id": "C-1006", "message_id": None, "invoice_numbers_json": dumps(["INV-2026-0371"]),
        "reason": "duplicate billing", "owner_email": "billing@ourco.example", "status": "open",
        "opened_at": (now - timedelta(days=6)).isoformat(timespec="seconds"),
        "sla_due_at": (now - timedelta(days=1)).isoformat(timespec="seconds")}).last_pk  # fmt: skip
    ids["promise"] = store.db["promises"].insert({
        "customer_id": "C-1001", "promised_date": "2026-11-20", "date_was_given": 1, "amount": "18250.00",
        "currency": "USD", "invoice_numbers_json": dumps(["INV-2026-0343"]), "status": "open",
        "grace_until": "2026-11-23", "created_at": clock.now_iso()}).last_pk  # fmt: skip
    ids["alert"] = store.db["alerts"].insert({
        "customer_id": "C-1001", "kind": "frustration", "recipients_json": dumps(["dana.reyes@ourco.example"]),
        "subject": "Frustrated reply from Northwind Harbor Logistics", "body": "They mention the renewal.",
        "status": "sent", "attempts": 1, "created_at": clock.now_iso()}).last_pk  # fmt: skip
    ids["other_alert"] = store.db["alerts"].insert({
        "customer_id": "C-1008", "kind": "frustration", "recipients_json": dumps(["someone@ourco.example"]),
        "subject": "Not Dana's account", "status": "sent", "attempts": 1, "created_at": clock.now_iso()}).last_pk  # fmt: skip
    store.db["quarantine"].insert({"mailbox": "ar", "folder": "INBOX", "uidvalidity": 1, "uid": 9, "subject": "broken",
                                   "from_addr": "x@example.test", "error": "message over the size limit", "size": 60_000_000,
                                   "status": "open", "created_at": clock.now_iso()})  # fmt: skip
    return ids
