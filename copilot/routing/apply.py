"""Turning routing actions into rows, and taking them back when a person corrects the label.

Everything here runs inside the caller's transaction and writes an audit event with the reason.
"""

from datetime import date
from decimal import Decimal
from typing import Any, assert_never

from copilot import clock
from copilot.classify.classifications import classifier_words
from copilot.config import Settings
from copilot.labels import Classification
from copilot.policy.pauses import add_pause, lift_pauses_from
from copilot.records import update_audited
from copilot.routing.actions import (
    Action,
    CancelPromise,
    CreateTask,
    FlagAccount,
    LogNote,
    MarkContact,
    OpenDispute,
    Pause,
    RaiseAlert,
    RecordPlan,
    RecordPromise,
    SetMessageStatus,
    SuppressAlert,
    describe,
)
from copilot.routing.alerts import compose_alert, create_alert
from copilot.routing.state import AccountState
from copilot.store import Store, dumps
from copilot.wording import words


def insert_audited(store: Store, table: str, entity: str, row: dict[str, Any], actor: str, reason: str) -> int:
    """Insert a new dispute, promise or task and audit its creation."""
    with store.transaction():
        pk = store.db[table].insert(row).last_pk
        store.audit(actor, entity, pk, "created", reason=reason, after=row, customer_id=row.get("customer_id"))
    return pk


def open_task(
    store: Store,
    customer_id: str,
    kind: str,
    description: str,
    *,
    invoices: tuple[str, ...] | list[str] = (),
    due_date: date | None,
    message_id: int | None,
    source: tuple[str, Any],
    actor: str,
    reason: str,
) -> int:
    """Create an open collector task; `source` is what it came from (a message, a promise …)."""
    row = {
        "customer_id": customer_id,
        "message_id": message_id,
        "kind": kind,
        "description": description,
        "invoice_numbers_json": dumps(list(invoices)),
        "status": "open",
        "due_date": due_date.isoformat() if due_date else None,
        "created_at": clock.now_iso(),
        "source_type": source[0],
        "source_id": str(source[1]),
    }
    return insert_audited(store, "tasks", "task", row, actor, reason)


def close_with_pauses(store: Store, table: str, entity: str, pk: int, change: dict, actor: str, reason: str) -> None:
    """Close a dispute, promise or task (change['status'] says how) and lift the pauses that belonged to it."""
    update_audited(store, table, pk, change, actor=actor, entity=entity, action=change["status"], reason=reason)
    lift_pauses_from(store, entity, pk, actor, reason)


def settle_plan_of(store: Store, promise_id: int, actor: str, reason: str) -> str | None:
    """After an instalment changed: close its plan once the plan's outcome is known; returns the new status.

    One broken instalment breaks the plan (and lifts its pause: the account is back in the cadence); every
    instalment kept keeps it; cancelled instalments with none open cancel it.
    """
    promise = store.db["promises"].get(promise_id)
    plan_id = promise.get("plan_id")
    if not plan_id:
        return None
    plan = store.db["payment_plans"].get(plan_id)
    if plan["status"] != "open":
        return None
    statuses = [r["status"] for r in store.db["promises"].rows_where("plan_id = ?", [plan_id])]
    if "broken" in statuses:
        status = "broken"
    elif "open" in statuses:
        return None
    else:
        status = "kept" if all(s == "kept" for s in statuses) else "cancelled"
    close_with_pauses(store, "payment_plans", "plan", plan_id, {"status": status, "resolved_at": clock.now_iso()}, actor,
                      f"plan #{plan_id} {status}: {reason}")  # fmt: skip
    return status


def unflag(store: Store, customer_id: str, source: str, actor: str, reason: str) -> None:
    """Clear the account flag if `source` (e.g. 'dispute:4') raised it."""
    if store.db["customers"].get(customer_id)["flag_source"] == source:
        change = {"flag": None, "flag_source": None}
        update_audited(store, "customers", customer_id, change, actor=actor, entity="customer", action="unflagged",
                       reason=reason)  # fmt: skip


class _Applier:
    def __init__(
        self, store: Store, state: AccountState, classification: Classification, settings: Settings, actor: str
    ):
        assert state.customer is not None, "only replies linked to a customer change account state"
        self.store, self.state, self.c, self.settings, self.actor = store, state, classification, settings, actor
        self.customer = state.customer
        self.mid = state.message.id
        self.refs: dict[str, tuple[str, int]] = {}
        self.why = (f"reply {self.mid} classified as {words(classification.label.value)} by "
                    f"{classifier_words(classification.source)}")  # fmt: skip

    def _source(self, key: str | None) -> tuple[str, int]:
        return self.refs.get(key or "", ("message", self.mid))

    def _created(self, key: str, entity: str, pk: int) -> str:
        self.refs[key] = (entity, pk)
        return f"{entity}:{pk}"

    def apply(self, action: Action) -> str | None:
        """Apply one action; return the entity it created, as 'type:id'."""
        now = clock.now_iso()
        base = {"customer_id": self.customer.id, "message_id": self.mid}
        match action:
            case OpenDispute():
                row = {
                    **base, "reason": action.reason, "invoice_numbers_json": dumps(list(action.invoice_numbers)),
                    "owner_email": action.owner_email, "status": "open", "opened_at": now,
                    "sla_due_at": action.sla_due.isoformat(), "account_wide": int(action.account_wide),
                }  # fmt: skip
                pk = insert_audited(self.store, "disputes", "dispute", row, self.actor,
                                    f"{self.why}: {words(action.reason)}")  # fmt: skip
                return self._created(action.key, "dispute", pk)
            case Pause():
                source_type, source_id = self._source(action.source_key)
                pk = add_pause(
                    self.store, self.customer.id, action.reason, self.actor, invoice_number=action.invoice_number,
                    until=action.until, scope=action.scope, source_type=source_type, source_id=source_id,
                    note=f"{action.note} ({self.why})",
                )  # fmt: skip
                return f"pause:{pk}"
            case RecordPromise():
                row = {
                    **base, "promised_date": action.promised_date.isoformat(),
                    "date_was_given": int(action.date_was_given),
                    "amount": None if action.amount is None else str(action.amount), "currency": action.currency,
                    "invoice_numbers_json": dumps(list(action.invoice_numbers)), "status": "open",
                    "grace_until": action.grace_until.isoformat(), "created_at": now,
                }  # fmt: skip
                pk = insert_audited(self.store, "promises", "promise", row, self.actor, self.why)
                return self._created(action.key, "promise", pk)
            case RecordPlan():
                plan = {
                    **base, "currency": action.currency, "total": None if action.total is None else str(action.total),
                    "instalments": len(action.instalments), "status": "open", "created_at": now,
                }  # fmt: skip
                plan_id = insert_audited(self.store, "payment_plans", "plan", plan, self.actor, self.why)
                before = Decimal("0")
                for number, part in enumerate(action.instalments, start=1):
                    row = {
                        **base, "promised_date": part.due.isoformat(), "date_was_given": 1,
                        "amount": None if part.amount is None else str(part.amount), "currency": action.currency,
                        "invoice_numbers_json": dumps(list(action.invoice_numbers)), "status": "open",
                        "grace_until": part.grace_until.isoformat(), "created_at": now, "plan_id": plan_id,
                        "instalment": number, "plan_amount_before": str(before),
                    }  # fmt: skip
                    insert_audited(self.store, "promises", "promise", row, self.actor,
                                   f"{self.why}: instalment {number} of {len(action.instalments)} of plan #{plan_id}")  # fmt: skip
                    before += part.amount or Decimal("0")
                return self._created(action.key, "plan", plan_id)
            case CancelPromise():
                close_with_pauses(self.store, "promises", "promise", action.promise_id,
                                  {"status": "cancelled", "resolved_at": now}, self.actor, action.reason)  # fmt: skip
                settle_plan_of(self.store, action.promise_id, self.actor, action.reason)
                return None
            case CreateTask():
                pk = open_task(
                    self.store, self.customer.id, action.kind, action.description, invoices=action.invoice_numbers,
                    due_date=action.due_date, message_id=self.mid, source=("message", self.mid), actor=self.actor,
                    reason=self.why,
                )  # fmt: skip
                return self._created(action.key, "task", pk)
            case RaiseAlert():
                content = compose_alert(action.kind, self.customer, action.reason, self.settings, self.state.message,
                                        self.c)  # fmt: skip
                pk = create_alert(self.store, action.kind, self.customer.id, action.recipients, content, self.actor,
                                  f"{self.why}: {action.reason}", message_id=self.mid)  # fmt: skip
                return f"alert:{pk}"
            case SuppressAlert():
                self.store.db.execute(
                    "update alerts set suppressed_count = suppressed_count + 1 where id = ?", [action.existing_alert_id]
                )
                self.store.audit(self.actor, "alert", action.existing_alert_id, "duplicate_suppressed",
                                 reason=f"{self.why}: {action.reason}", customer_id=self.customer.id)  # fmt: skip
                return None
            case MarkContact():
                contact = next(self.store.db["contacts"].rows_where(
                    "customer_id = ? and lower(email) = ?", [self.customer.id, action.email]))  # fmt: skip
                change = {"status": action.status, "status_reason": action.reason, "updated_at": now}
                update_audited(self.store, "contacts", contact["id"], change, actor=self.actor, entity="contact",
                               action="status_changed", reason=f"{self.why}: {action.reason}")  # fmt: skip
                return f"contact:{contact['id']}"
            case FlagAccount():
                source_type, source_id = self._source(action.source_key)
                change = {"flag": action.flag, "flag_source": f"{source_type}:{source_id}"}
                update_audited(self.store, "customers", self.customer.id, change, actor=self.actor, entity="customer",
                               action="flagged", reason=self.why)  # fmt: skip
                return None
            case LogNote():
                self.store.audit(self.actor, "message", self.mid, "noted", reason=f"{self.why}: {action.note}",
                                 customer_id=self.customer.id)  # fmt: skip
                return None
            case SetMessageStatus():
                update_audited(self.store, "messages", self.mid, {"status": action.status}, actor=self.actor,
                               entity="message", action="status_changed", reason=action.reason)  # fmt: skip
                return None
            case _:
                assert_never(action)


def apply_actions(
    store: Store,
    state: AccountState,
    classification: Classification,
    classification_id: int,
    actions: list[Action],
    settings: Settings,
    actor: str,
) -> int:
    """Apply a routing decision in one transaction and record it; returns the decision's id."""
    with store.transaction():
        if state.customer is None:  # only the message status can change
            record = []
            for action in actions:
                assert isinstance(action, SetMessageStatus)
                update_audited(store, "messages", state.message.id, {"status": action.status}, actor=actor,
                               entity="message", action="status_changed", reason=action.reason)  # fmt: skip
                record.append({**describe(action), "created": None})
        else:
            applier = _Applier(store, state, classification, settings, actor)
            record = [{**describe(a), "created": applier.apply(a)} for a in actions]
            # Drafts planned before this reply may now say something untrue: the plan writes them again.
            mark_stale(store, state.customer.id, f"{applier.why} after the draft was planned", actor)
        row = {
            "message_id": state.message.id, "classification_id": classification_id,
            "customer_id": state.customer.id if state.customer else None, "label": classification.label.value,
            "actions_json": dumps(record), "status": "applied", "created_by": actor, "created_at": clock.now_iso(),
        }  # fmt: skip
        return store.db["routing_decisions"].insert(row).last_pk


def reverse_decision(store: Store, decision: dict, actor: str, reason: str) -> list[str]:
    """Undo what a routing decision set up, where it can be undone; returns what could not be."""
    db, mid, now = store.db, decision["message_id"], clock.now_iso()
    kept: list[str] = []
    with store.transaction():
        for case in db["disputes"].rows_where("message_id = ? and status = 'open'", [mid]):
            change = {"status": "cancelled", "resolved_at": now, "resolved_by": actor, "resolution": reason}
            close_with_pauses(store, "disputes", "dispute", case["id"], change, actor, reason)
            unflag(store, case["customer_id"], f"dispute:{case['id']}", actor, reason)
        for promise in db["promises"].rows_where("message_id = ? and status = 'open'", [mid]):
            close_with_pauses(store, "promises", "promise", promise["id"], {"status": "cancelled", "resolved_at": now},
                              actor, reason)  # fmt: skip
            settle_plan_of(store, promise["id"], actor, reason)
        for task in db["tasks"].rows_where("message_id = ? and status = 'open'", [mid]):
            change = {"status": "cancelled", "done_at": now, "done_by": actor}
            close_with_pauses(store, "tasks", "task", task["id"], change, actor, reason)
        for alert in db["alerts"].rows_where("message_id = ?", [mid]):
            if alert["status"] in ("pending", "failed"):
                update_audited(store, "alerts", alert["id"], {"status": "cancelled", "next_attempt_at": None},
                               actor=actor, entity="alert", action="cancelled", reason=reason)  # fmt: skip
            elif alert["status"] == "sent":
                kept.append(f"alert #{alert['id']} was already delivered and cannot be recalled")
        lift_pauses_from(store, "message", mid, actor, reason)
        bounced = db["contacts"].rows_where("status_reason = ? and status = 'bouncing'", [f"bounce in message {mid}"])
        for contact in list(bounced):
            update_audited(store, "contacts", contact["id"], {"status": "ok", "status_reason": None, "updated_at": now},
                           actor=actor, entity="contact", action="status_changed", reason=reason)  # fmt: skip
        db["routing_decisions"].update(decision["id"], {"status": "reversed", "reversed_by": actor, "reversed_at": now})
        store.audit(actor, "message", mid, "routing_reversed", reason=reason, customer_id=decision["customer_id"],
                    after={"decision": decision["id"], "not_reversed": kept})  # fmt: skip
    return kept


def mark_stale(store: Store, customer_id: str, reason: str, actor: str) -> list[int]:
    """Mark the customer's waiting drafts stale (drafting imports routing, so its module is imported here, late)."""
    from copilot.drafting.stale import mark_stale as mark

    return mark(store, customer_id, reason, actor)
