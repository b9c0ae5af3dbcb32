"""Schema migrations: an append-only list, applied in order when the store opens.

Never edit or reorder a migration that has shipped; add a new one at the end.
Money is stored as TEXT holding a decimal string, dates as ISO-8601 TEXT, lists
and objects as JSON TEXT.
"""

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_core_ledger(db: sqlite_utils.Database) -> None:
    db["customers"].create(
        {
            "id": str,
            "name": str,
            "segment": str,
            "arr": str,
            "currency": str,
            "account_owner_email": str,
            "account_team_emails": str,
            "risky": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"name", "segment"},
        defaults={"risky": 0, "account_team_emails": "[]"},
    )
    db["contacts"].create(
        {
            "id": int,
            "customer_id": str,
            "email": str,
            "name": str,
            "role": str,
            "status": str,
            "status_reason": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"customer_id", "email"},
        defaults={"role": "billing", "status": "ok"},
    )
    db["contacts"].create_index(["customer_id", "email"], unique=True)
    db["contacts"].create_index(["email"])
    db["invoices"].create(
        {
            "number": str,
            "customer_id": str,
            "issue_date": str,
            "due_date": str,
            "amount": str,
            "currency": str,
            "open_balance": str,
            "status": str,
            "payment_link": str,
            "po_number": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="number",
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"customer_id", "due_date", "amount", "currency", "open_balance", "status"},
    )
    db["invoices"].create_index(["customer_id"])
    db["invoices"].create_index(["status", "due_date"])
    db["payments"].create(
        {
            "id": str,
            "invoice_number": str,
            "customer_id": str,
            "amount": str,
            "currency": str,
            "paid_on": str,
            "method": str,
            "reference": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("invoice_number", "invoices", "number")],
        not_null={"invoice_number", "amount", "currency", "paid_on"},
    )
    db["payments"].create_index(["invoice_number"])
    db["payments"].create_index(["customer_id", "paid_on"])


@migration
def m002_mail(db: sqlite_utils.Database) -> None:
    db["messages"].create(
        {
            "id": int,
            "direction": str,  # inbound | outbound
            "mailbox": str,
            "folder": str,
            "uidvalidity": int,
            "uid": int,
            "message_id": str,
            "dedupe_key": str,
            "raw_sha256": str,
            "in_reply_to": str,
            "references_json": str,
            "subject": str,
            "from_addr": str,
            "from_name": str,
            "to_json": str,
            "cc_json": str,
            "sent_at": str,
            "received_at": str,
            "headers_json": str,
            "text_full": str,
            "text_reply": str,
            "body_was_html": int,
            "attachments_json": str,
            "size": int,
            "is_auto_reply": int,
            "auto_reply_kind": str,  # out_of_office | ticket | scanner | bounce | other
            "bounced_recipients_json": str,
            "customer_id": str,
            "invoice_numbers_json": str,
            "match_rule": str,  # reply_header | invoice_number | sender_address | sender_domain | manual
            "status": str,  # pending | classified | routed | unmatched | needs_review
            "draft_id": int,
            "created_at": str,
        },
        pk="id",
        defaults={"direction": "inbound", "status": "pending", "body_was_html": 0, "is_auto_reply": 0},
    )
    db["messages"].create_index(["dedupe_key"], unique=True)
    db["messages"].create_index(["message_id"])
    db["messages"].create_index(["customer_id", "sent_at"])
    db["messages"].create_index(["status"])
    db["quarantine"].create(
        {
            "id": int,
            "mailbox": str,
            "folder": str,
            "uidvalidity": int,
            "uid": int,
            "message_id": str,
            "subject": str,
            "from_addr": str,
            "error": str,
            "size": int,
            "raw_head": bytes,  # at most the first 64 KiB, for diagnosis
            "status": str,  # open | dismissed | reprocessed
            "created_at": str,
        },
        pk="id",
        defaults={"status": "open"},
    )
    db["quarantine"].create_index(["mailbox", "folder", "uidvalidity", "uid"], unique=True)
    db["mailbox_cursors"].create(
        {"mailbox": str, "folder": str, "uidvalidity": int, "last_uid": int, "updated_at": str},
        pk=("mailbox", "folder"),
    )
    db["classifications"].create(
        {
            "id": int,
            "message_id": int,
            "label": str,
            "frustrated": int,
            "confidence": float,
            "needs_review": int,
            "promise_date": str,
            "promise_amount": str,
            "promise_currency": str,
            "dispute_reason": str,
            "request_kind": str,
            "return_date": str,
            "evidence": str,
            "source": str,  # header_gate | local | llm | llm_fallback | keyword | human
            "model": str,
            "prompt_version": str,
            "detail_json": str,
            "is_current": int,
            "created_by": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("message_id", "messages", "id")],
        defaults={"is_current": 1, "frustrated": 0, "needs_review": 0},
    )
    db["classifications"].create_index(["message_id", "is_current"])


@migration
def m003_collections_state(db: sqlite_utils.Database) -> None:
    db["pauses"].create(
        {
            "id": int,
            "customer_id": str,
            "invoice_number": str,  # NULL pauses the whole account
            "scope": str,  # dunning | auto_send
            "reason": str,  # dispute | promise | paid | request | frustration | snooze | manual
            "source_type": str,
            "source_id": str,
            "until": str,  # ISO date; NULL means until a human lifts it
            "note": str,
            "created_by": str,
            "created_at": str,
            "lifted_at": str,
            "lifted_by": str,
            "lift_reason": str,
        },
        pk="id",
        defaults={"scope": "dunning"},
    )
    db["pauses"].create_index(["customer_id", "lifted_at"])
    db["promises"].create(
        {
            "id": int,
            "customer_id": str,
            "message_id": int,
            "promised_date": str,
            "date_was_given": int,
            "amount": str,
            "currency": str,
            "invoice_numbers_json": str,
            "status": str,  # open | kept | broken | cancelled
            "grace_until": str,
            "created_at": str,
            "resolved_at": str,
        },
        pk="id",
        defaults={"status": "open"},
    )
    db["promises"].create_index(["customer_id", "status"])
    db["disputes"].create(
        {
            "id": int,
            "customer_id": str,
            "message_id": int,
            "invoice_numbers_json": str,
            "reason": str,
            "owner_email": str,
            "status": str,  # open | resolved
            "opened_at": str,
            "sla_due_at": str,
            "sla_alerted_at": str,
            "resolved_at": str,
            "resolved_by": str,
            "resolution": str,
        },
        pk="id",
        defaults={"status": "open"},
    )
    db["disputes"].create_index(["customer_id", "status"])
    db["alerts"].create(
        {
            "id": int,
            "customer_id": str,
            "message_id": int,
            "kind": str,  # frustration | bounce | sla_breach | ...
            "recipients_json": str,
            "subject": str,
            "body": str,
            "payload_json": str,
            "dedupe_key": str,
            "status": str,  # pending | sent | failed | acknowledged
            "attempts": int,
            "last_error": str,
            "next_attempt_at": str,
            "created_at": str,
            "sent_at": str,
            "acknowledged_by": str,
            "acknowledged_at": str,
        },
        pk="id",
        defaults={"status": "pending", "attempts": 0},
    )
    db["alerts"].create_index(["customer_id", "kind", "created_at"])
    db["alerts"].create_index(["status"])
    db["tasks"].create(
        {
            "id": int,
            "customer_id": str,
            "message_id": int,
            "kind": str,
            "description": str,
            "invoice_numbers_json": str,
            "status": str,  # open | done | cancelled
            "due_date": str,
            "created_at": str,
            "done_at": str,
            "done_by": str,
        },
        pk="id",
        defaults={"status": "open"},
    )
    db["tasks"].create_index(["customer_id", "status"])


@migration
def m004_drafts_and_outbox(db: sqlite_utils.Database) -> None:
    db["drafts"].create(
        {
            "id": int,
            "customer_id": str,
            "contact_email": str,
            "to_json": str,
            "cc_json": str,
            "kind": str,  # reminder | pre_due | broken_promise | request_reply
            "tier": int,
            "segment": str,
            "template": str,
            "generator": str,  # template | llm
            "prompt_version": str,
            "subject": str,
            "body": str,
            "original_body": str,
            "invoice_numbers_json": str,
            "facts_json": str,
            "guardrail_flags_json": str,
            "tone_hint": str,
            "plan_date": str,
            "status": str,  # draft | approved | sending | sent | failed | rejected | expired
            "auto_send": int,
            "message_id": str,
            "in_reply_to": str,
            "references_json": str,
            "reject_reason": str,
            "edit_distance": int,
            "attempts": int,
            "last_error": str,
            "expires_at": str,
            "created_at": str,
            "updated_at": str,
            "approved_by": str,
            "approved_at": str,
            "sent_at": str,
            "sent_by": str,
        },
        pk="id",
        defaults={"status": "draft", "auto_send": 0, "attempts": 0},
    )
    db["drafts"].create_index(["customer_id", "contact_email", "plan_date", "kind"])
    db["drafts"].create_index(["status"])


@migration
def m005_audit_users_llm(db: sqlite_utils.Database) -> None:
    db["audit_events"].create(
        {
            "id": int,
            "at": str,
            "actor": str,
            "entity_type": str,
            "entity_id": str,
            "customer_id": str,
            "action": str,
            "reason": str,
            "before_json": str,
            "after_json": str,
        },
        pk="id",
        not_null={"at", "actor", "entity_type", "action"},
    )
    db["audit_events"].create_index(["entity_type", "entity_id"])
    db["audit_events"].create_index(["customer_id", "at"])
    db["users"].create(
        {
            "id": int,
            "username": str,
            "email": str,
            "password_hash": str,
            "role": str,  # collector | account_team | admin
            "active": int,
            "created_at": str,
        },
        pk="id",
        defaults={"active": 1},
    )
    db["users"].create_index(["username"], unique=True)
    db["llm_cache"].create(
        {"key": str, "purpose": str, "prompt_version": str, "model": str, "response_json": str, "created_at": str},
        pk="key",
    )
    db["llm_calls"].create(
        {
            "id": int,
            "at": str,
            "purpose": str,
            "model": str,
            "prompt_version": str,
            "input_tokens": int,
            "output_tokens": int,
            "cost": float,
            "latency_ms": float,
            "outcome": str,  # ok | retry | repaired | failed | cache_hit
            "error": str,
        },
        pk="id",
    )


@migration
def m006_invoice_erp_balance(db: sqlite_utils.Database) -> None:
    # The balance the ERP exported, kept apart from the balance after recorded payments,
    # so a payment that the ERP already netted off is not counted twice.
    db["invoices"].add_column("erp_open_balance", str)
    db.execute("update invoices set erp_open_balance = open_balance")


@migration
def m110_routing_state(db: sqlite_utils.Database) -> None:
    # What routing applied for each classification: makes routing idempotent and overrides reversible.
    db["routing_decisions"].create(
        {
            "id": int,
            "message_id": int,
            "classification_id": int,
            "customer_id": str,
            "label": str,
            "actions_json": str,
            "status": str,  # applied | reversed
            "created_by": str,
            "created_at": str,
            "reversed_by": str,
            "reversed_at": str,
        },
        pk="id",
        foreign_keys=[("message_id", "messages", "id")],
        defaults={"status": "applied"},
    )
    db["routing_decisions"].create_index(["message_id", "status"])
    # An account that needs a person's eye (e.g. a dispute naming no invoice we could match).
    db["customers"].add_column("flag", str)
    db["customers"].add_column("flag_source", str)
    # Disputes and tasks may also be 'cancelled' when a human corrects the label that opened them.
    db["disputes"].add_column("account_wide", int, not_null_default=0)
    db["tasks"].add_column("source_type", str)
    db["tasks"].add_column("source_id", str)
    # Alerts go out on two channels; each is recorded so a retry never repeats a delivered one.
    db["alerts"].add_column("email_sent_at", str)
    db["alerts"].add_column("webhook_sent_at", str)
    db["alerts"].add_column("link", str)
    db["alerts"].add_column("suppressed_count", int, not_null_default=0)


@migration
def m130_intake_attachments(db: sqlite_utils.Database) -> None:
    # Bodies of small attachments (a remittance PDF); larger ones are only described in messages.attachments_json.
    db["attachments"].create(
        {"id": int, "message_id": int, "filename": str, "content_type": str, "size": int, "sha256": str,
         "content": bytes, "created_at": str},
        pk="id",
        foreign_keys=[("message_id", "messages", "id")],
    )  # fmt: skip
    db["attachments"].create_index(["message_id"])


@migration
def m131_intake_match_indexes(db: sqlite_utils.Database) -> None:
    # Matching looks up every reply's invoice numbers and sender by these expressions; without
    # an index on the expression itself each lookup scans the whole ledger.
    db.execute("create index if not exists idx_invoices_upper_number on invoices (upper(number))")
    db.execute("create index if not exists idx_contacts_lower_email on contacts (lower(email))")


@migration
def m132_drafts_text_send_hold(db: sqlite_utils.Database) -> None:
    # Approve-and-send from the web holds the send for a few seconds so it can be undone: the draft is
    # approved with the instant it may go out, and a person can take it back to review until then.
    db["drafts"].add_column("send_after", str)


@migration
def m200_web_hard_sessions(db: sqlite_utils.Database) -> None:
    # Server-side web sessions: the cookie carries only a random id, so logout, a password change
    # or disabling a user ends a session at once instead of at the cookie's expiry.
    db["web_sessions"].create(
        {"id": str, "user_id": int, "created_at": str, "expires_at": str},
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
    )
    db["web_sessions"].create_index(["user_id"])


@migration
def m140_drafts_state_at_send(db: sqlite_utils.Database) -> None:
    # A waiting draft the account's state moved past (a reply, a pause, a payment): shown, and regenerated by the plan.
    db["drafts"].add_column("stale_at", str)
    db["drafts"].add_column("stale_reason", str)
    # What the send-time check changed, for the collector to read (e.g. an invoice dropped because it is disputed).
    db["drafts"].add_column("note", str)
    # Why a draft was withdrawn ('superseded') instead of sent.
    db["drafts"].add_column("superseded_reason", str)
    # When the text was last written from the account's state (planned, regenerated, revived, rewritten at send).
    db["drafts"].add_column("written_at", str)
    # The process that claimed a send, so a send whose process is gone is settled without waiting.
    db["drafts"].add_column("sending_pid", int)
    db["drafts"].add_column("sending_host", str)
@migration
def m_workspace_b_collector_workspace(db: sqlite_utils.Database) -> None:
    # A contact's preferred language for our mail (en, de, fr, es, nl); unset means "as the customer writes".
    db["contacts"].add_column("language", str)
    # Notes and call-log entries a collector writes on a customer's page.
    db["customer_notes"].create(
        {"id": int, "customer_id": str, "kind": str, "body": str, "contact": str, "outcome": str,
         "created_by": str, "created_at": str},
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"customer_id", "kind", "body"},
    )  # fmt: skip
    db["customer_notes"].create_index(["customer_id", "created_at"])
    # Disputes: a person as owner, and a structured outcome (credit_note | void | partial_credit | stands).
    db["disputes"].add_column("owner_user", str)
    db["disputes"].add_column("resolution_kind", str)
    db["disputes"].add_column("resolution_amount", str)
    # A credit agreed in a dispute lowers what we chase until the ERP import shows it (status pending → confirmed).
    db["pending_credits"].create(
        {"id": int, "dispute_id": int, "customer_id": str, "invoice_number": str, "amount": str, "currency": str,
         "kind": str, "balance_before": str, "status": str, "created_by": str, "created_at": str,
         "confirmed_at": str},
        pk="id",
        defaults={"status": "pending"},
    )  # fmt: skip
    db["pending_credits"].create_index(["invoice_number", "status"])
    # Daily figures per currency, written by `tick` and imports, so the dashboard's trends read a few rows.
    db["ledger_daily"].create(
        {"day": str, "currency": str, "bucket": str, "invoices": int, "cents": int},
        pk=("day", "currency", "bucket"),
    )
    db["ledger_daily"].create_index(["day"])
    db["payments"].create_index(["paid_on"])
    db["audit_events"].create_index(["at"])


@migration
def m_mail_hard_quarantine_raw_and_review_reason(db: sqlite_utils.Database) -> None:
    # Quarantine keeps the whole message as fetched, so it can be examined or read again without the
    # mailbox; raw_head stays for listing. A message that intake could only partly read (over its time
    # budget) carries why in review_reason, and triage sends it to a person whatever its label.
    db["quarantine"].add_column("raw", bytes)
    db["messages"].add_column("review_reason", str)


@migration
def m_triage_train_local_models(db: sqlite_utils.Database) -> None:
    # Local models trained on this database's own corrections, kept with the data they learned from.
    # Exactly one row may be active; none active means the shipped model.
    db["local_models"].create(
        {"id": int, "created_at": str, "created_by": str, "status": str, "active": int, "reason": str,
         "feature_version": str, "sklearn_version": str, "digest": str, "corrections_upto": int,
         "sources_json": str, "cv_json": str, "test_json": str, "baseline_json": str, "forced": int, "model": bytes},
        pk="id",
        not_null={"created_at", "status"},
        defaults={"active": 0, "forced": 0, "corrections_upto": 0},
    )  # fmt: skip
    db["local_models"].create_index(["active"])


@migration
def m_triage_train_payment_plans(db: sqlite_utils.Database) -> None:
    # A reply promising several instalments: one plan, each instalment a promise of its own.
    db["payment_plans"].create(
        {"id": int, "customer_id": str, "message_id": int, "currency": str, "total": str, "instalments": int,
         "status": str, "created_at": str, "resolved_at": str},
        pk="id",
        defaults={"status": "open"},
    )  # fmt: skip
    db["payment_plans"].create_index(["customer_id", "status"])
    db["promises"].add_column("plan_id", int)
    db["promises"].add_column("instalment", int)
    db["promises"].add_column("plan_amount_before", str)  # what earlier instalments of the plan add up to


@migration
def m_workspace_a_worklist(db: sqlite_utils.Database) -> None:
    # Why a draft was planned, in words, and what it asks for, summed when it is planned: the worklist sorts
    # and pages on these columns instead of re-adding every open invoice on each request.
    db["drafts"].add_column("reason", str)
    db["drafts"].add_column("open_amount", str)  # exact total when every invoice shares a currency
    db["drafts"].add_column("open_currency", str)  # NULL when the invoices mix currencies
    db["drafts"].add_column("open_totals_json", str)  # {"EUR": "123.00", ...}
    db["drafts"].add_column("oldest_due", str)
    db["drafts"].add_column("risky", int)  # the customer's flag when planned: the priority order needs no join
    # Covers the worklist's counts and its sort keys, so ordering thousands of drafts reads this narrow
    # index and not the drafts' bodies; only the rows on the page are then read in full.
    db["drafts"].create_index(["status", "tier", "segment", "risky", "oldest_due", "open_currency", "open_amount",
                               "customer_id", "open_totals_json"], index_name="idx_drafts_worklist")  # fmt: skip
    db["drafts"].create_index(["customer_id", "status", "sent_at"])
    from copilot.drafting.summary import refresh_summaries  # the planner's own code, run once on every stored draft

    refresh_summaries(db, None, every_status=True)
    # Search by purchase order, the task queue by due date, and the inbox newest-first by the reply's Date header.
    db.execute("create index if not exists idx_invoices_upper_po on invoices (upper(po_number))")
    db["tasks"].create_index(["status", "due_date"])
    db["customers"].create_index(["account_owner_email"])
    # Date headers carry their sender's offset, so they are ordered by their UTC instant, datetime(sent_at).
    db.execute("create index if not exists idx_messages_inbox on messages "
               "(direction, datetime(sent_at), customer_id, status)")  # also covers the inbox count
    db.execute("create index if not exists idx_messages_customer_latest on messages "
               "(customer_id, direction, datetime(sent_at))")  # each worklist row's last reply and last touch


@migration
def m_inbox_corrections_index(db: sqlite_utils.Database) -> None:
    # Every inbox page counts the collectors' corrections made since the active model was trained; without
    # this index that count read every classification (90 ms at 50,000 replies).
    db["classifications"].create_index(["source", "id"], index_name="idx_classifications_source", if_not_exists=True)


@migration
def m_draftq_fill_draft_summaries(db: sqlite_utils.Database) -> None:
    # Dispute replies were written without the worklist's summary, so they sorted last and showed no reason.
    # Every draft is now written with one; fill in those stored before, by the same code.
    from copilot.drafting.summary import KIND_REASONS, refresh_summaries

    refresh_summaries(db, [r[0] for r in db.execute("select id from drafts where open_totals_json is null")])
    db.execute("update drafts set reason = ? where reason is null and kind = 'dispute_reply'",
               [KIND_REASONS["dispute_reply"]])  # fmt: skip


@migration
def m_sendsafe_drafts_original_subject(db: sqlite_utils.Database) -> None:
    # The subject as the product wrote it, beside original_body: a collector's change to the subject alone is an
    # edit too, so the send-time check must not write over it. Stored drafts get the subject they had before
    # a person's first edit of it (from the audit log), counted afresh from each time the product rewrote them.
    import json

    db["drafts"].add_column("original_subject", str)
    db.execute("update drafts set original_subject = subject")
    written: dict[str, str | None] = {}
    for draft_id, action, before in db.execute(
        "select entity_id, action, before_json from audit_events where entity_type = 'draft' "
        "and action in ('edited', 'regenerated', 'revived', 'rewritten_at_send') order by id"
    ).fetchall():  # fmt: skip
        before = json.loads(before) if before else {}
        if action != "edited":
            if action != "revived" or "subject" in before:  # a revival rewrites the text only when the state moved
                written[draft_id] = None  # the product wrote the text again: what follows starts from its subject
            continue
        subject = before.get("subject")
        if subject is not None and written.get(draft_id) is None:
            written[draft_id] = subject
    for draft_id, subject in written.items():
        if subject is not None:
            db.execute("update drafts set original_subject = ? where id = ?", [subject, int(draft_id)])


@migration
def m_isolate_mark_retries(db: sqlite_utils.Database) -> None:
    # Stored messages the server would not mark processed (keyword refused, move target missing or over
    # quota). The cursor has moved past them, so this is what makes the next poll try the mark again.
    db["mailbox_mark_retries"].create(
        {"mailbox": str, "folder": str, "uidvalidity": int, "uid": int, "message_id": int, "attempts": int,
         "last_error": str, "first_failed_at": str, "last_attempt_at": str},
        pk=("mailbox", "folder", "uidvalidity", "uid"),
        defaults={"attempts": 1},
    )  # fmt: skip


@migration
def m_gist_reply_gist(db: sqlite_utils.Database) -> None:
    # The one-line English gist of a non-English reply, written when the reply is classified (by the configured
    # model, or locally) so that pages only read it; gist_source is "local" or the model's name.
    db["classifications"].add_column("gist", str)
    db["classifications"].add_column("gist_source", str)


@migration
def m_gist_retrain_runs(db: sqlite_utils.Database) -> None:
    # "Retrain now" from the inbox runs in the background: one row per run, so the inbox can say it is running,
    # how it ended, and refuse a second run on the same database while one is going.
    db["retrain_runs"].create(
        {"id": int, "status": str, "started_by": str, "started_at": str, "finished_at": str, "outcome": str,
         "model": str, "activated": int, "pid": int, "host": str},
        pk="id",
        not_null={"status", "started_by", "started_at"},
    )  # fmt: skip
    db["retrain_runs"].create_index(["status"])
