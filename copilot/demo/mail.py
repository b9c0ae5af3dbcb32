"""Demo step: record the sample reminders we sent, then read the sample replies through the offline mailbox."""

from collections import Counter
from pathlib import Path

from copilot import clock
from copilot.classify import build_classifier
from copilot.classify.gist import build_gister
from copilot.demo.runner import DemoResult, demo_settings, step
from copilot.mail.inbound import IntakeContext, dedupe_key
from copilot.mail.intake import Poller, Source
from copilot.mail.mailbox.folder import FolderMailbox
from copilot.mail.matching import known_invoices, own_domains
from copilot.mail.parse import parse_message
from copilot.mail.sender import FolderSender
from copilot.policy.model import Policy
from copilot.resources import demo_data_dir
from copilot.routing import make_router
from copilot.routing.alerts import deliver_pending_alerts
from copilot.routing.triage import triage_pending
from copilot.store import Store, dumps
from copilot.wording import words


def record_outbound(store: Store, raw: bytes, actor: str) -> int:
    """Store a reminder we sent as an outbound message, tied to its customer by recipient or invoice number."""
    parsed = parse_message(raw)
    invoices = known_invoices(store, f"{parsed.subject}\n{parsed.text_full}")
    customer = invoices[0][1] if invoices else None
    if customer is None and parsed.to:
        row = store.db.execute("select customer_id from contacts where lower(email) = ?", [parsed.to[0]]).fetchone()
        customer = row[0] if row else None
    with store.transaction():
        msg_id = store.db["messages"].insert({
            "direction": "outbound", "message_id": parsed.message_id,
            "dedupe_key": dedupe_key(parsed.message_id, parsed.raw_sha256), "raw_sha256": parsed.raw_sha256,
            "subject": parsed.subject, "from_addr": parsed.from_addr, "from_name": parsed.from_name,
            "to_json": dumps(parsed.to), "cc_json": dumps(parsed.cc),
            "sent_at": parsed.sent_at.isoformat() if parsed.sent_at else None, "text_full": parsed.text_full,
            "customer_id": customer, "invoice_numbers_json": dumps([n for n, c in invoices if c == customer]),
            "status": "sent", "size": parsed.size, "created_at": clock.now_iso(),
        }).last_pk  # fmt: skip
        store.audit(actor, "message", msg_id, "recorded_outbound", reason="sample reminder", customer_id=customer)
    return msg_id


@step("mail")
def triage_demo_mail(store: Store, policy: Policy, result: DemoResult) -> None:
    data = demo_data_dir()
    sent = sorted((data / "sent").glob("*.eml"))
    for path in sent:
        record_outbound(store, path.read_bytes(), actor="demo")
    inbox = FolderMailbox(Path(data / "mail"), name="demo")
    # Routing raises the bounce alert (with the customer's context), so intake does not raise its own.
    ctx = IntakeContext(store, ours=own_domains(store), bounce_alerts=False, actor="demo")
    stats = Poller(ctx, [Source(inbox.name, inbox.folders, lambda: inbox)]).run_once()
    rules = Counter(r["match_rule"] or "unmatched" for r in store.db["messages"].rows_where("direction = 'inbound'"))
    result.notes.append(f"mail: {len(sent)} sent reminders recorded; {stats.stored} replies read from the sample mailbox")
    result.notes.append("mail: matched by " + ", ".join(f"{words(rule)} {n}" for rule, n in sorted(rules.items())))
    settings = demo_settings(result.db_path)
    classifier = build_classifier(settings, store=store)
    triaged = triage_pending(store, classifier, make_router(policy, settings, actor="demo"), actor="demo",
                             gister=build_gister(settings, store))  # fmt: skip
    result.notes.append(f"mail: {triaged} replies classified by the {words(classifier.name)} and routed")
    statuses = Counter(r["status"] for r in store.db["messages"].rows_where("direction = 'inbound'", select="status"))
    result.notes.append("mail: " + ", ".join(f"{n} {words(status)}" for status, n in sorted(statuses.items())))
    # No SMTP server in the demo: alerts go to the offline outbox next to the database, as real mail would.
    sent = deliver_pending_alerts(store, FolderSender(settings.outbox_dir or Path(result.db_path).parent / "outbox"), settings)
    open_rows = {t: store.db[t].count_where("status = 'open'") for t in ("disputes", "promises", "tasks")}
    bounces = store.db["contacts"].count_where("status = 'bouncing'")
    result.notes.append(f"routing: {open_rows['disputes']} dispute(s), {open_rows['promises']} promise(s), "
                        f"{open_rows['tasks']} task(s) open; {store.db['alerts'].count} alert(s) raised, "
                        f"{len(sent.sent)} delivered to the outbox folder; "
                        f"{bounces} contact(s) bouncing")  # fmt: skip
