"""Turning routing actions into rows, and taking them back when a person corrects the label.

Everything here runs inside the caller's transaction and writes an audit event with the reason.
"""

from typing import assert_never

from copilot import clock
from copilot.alerts import compose_alert, create_alert
from copilot.config import Settings
from copilot.labels import Classification
from copilot.pauses import add_pause, lift_pauses_from
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
    RecordPromise,
    SetMessageStatus,
    SuppressAlert,
    describe,
)
from copilot.routing.state import AccountState
from copilot.store import Store, dumps


class _Applier:
    def __init__(
        self, store: Store, state: AccountState, classification: Classification, settings: Settings, actor: str
    ):
        self.store = store
        self.state = state
        self.c = classification
        self.settings = settings
        self.actor = actor
        self.mid = state.message.id
        self.customer_id = state.customer.id if state.customer else None
        self.refs: dict[str, tuple[str, int]] = {}
        self.why = f"reply {self.mid} classified as {classification.label.value} by {classification.source}"

    def _audit(self, entity: str, entity_id: object, action: str, reason: str, after: object = None) -> None:
        self.store.audit(
            self.actor, entity, entity_id, action, reason=reason, after=after, customer_id=self.customer_id
        )

    def _insert(self, table: str, row: dict) -> int:
        return self.store.db[table].insert(row).last_pk

    def apply(self, action: Action) -> str | None:
        """Apply one action; return the entity it created, as 'type:id'."""
        now = clock.now_iso()
        db = self.store.db
        match action:
            case OpenDispute():
                pk = self._insert(
                    "disputes",
                    {
                        "customer_id": self.customer_id,
                        "message_id": self.mid,
                        "reason": action.reason,
                        "invoice_numbers_json": dumps(list(action.invoice_numbers)),
                        "owner_email": action.owner_email,
                        "status": "open",
                        "opened_at": now,
                        "sla_due_at": action.sla_due.isoformat(),
                        "account_wide": int(action.account_wide),
                    },
                )
                self._audit("dispute", pk, "opened", f"{self.why}: {action.reason}", describe(action))
                return self._ref(action.key, "dispute", pk)
            case Pause():
                source_type, source_id = self.refs.get(action.source_key or "", ("message", self.mid))
                assert self.customer_id is not None
                pk = add_pause(
                    self.store,
                    self.customer_id,
                    action.reason,
                    self.actor,
                    invoice_number=action.invoice_number,
                    until=action.until,
                    scope=action.scope,
                    source_type=source_type,
                    source_id=source_id,
                    note=f"{action.note} ({self.why})",
                )
                return f"pause:{pk}"
            case RecordPromise():
                pk = self._insert(
                    "promises",
                    {
                        "customer_id": self.customer_id,
                        "message_id": self.mid,
                        "promised_date": action.promised_date.isoformat(),
                        "date_was_given": int(action.date_was_given),
                        "amount": None if action.amount is None else str(action.amount),
                        "currency": action.currency,
                        "invoice_numbers_json": dumps(list(action.invoice_numbers)),
                        "status": "open",
                        "grace_until": action.grace_until.isoformat(),
                        "created_at": now,
                    },
                )
                self._audit("promise", pk, "recorded", self.why, describe(action))
                return self._ref(action.key, "promise", pk)
            case CancelPromise():
                row = db["promises"].get(action.promise_id)
                change = {"status": "cancelled", "resolved_at": now}
                _close(self.store, "promises", "promise", row, change, self.actor, f"{self.why}: {action.reason}")
                return None
            case CreateTask():
                pk = self._insert(
                    "tasks",
                    {
                        "customer_id": self.customer_id,
                        "message_id": self.mid,
                        "kind": action.kind,
                        "description": action.description,
                        "invoice_numbers_json": dumps(list(action.invoice_numbers)),
                        "status": "open",
                        "due_date": action.due_date.isoformat() if action.due_date else None,
                        "created_at": now,
                        "source_type": "message",
                        "source_id": str(self.mid),
                    },
                )
                self._audit("task", pk, "created", self.why, describe(action))
                return self._ref(action.key, "task", pk)
            case RaiseAlert():
                assert self.state.customer is not None
                content = compose_alert(
                    action.kind, self.state.customer, action.reason, self.settings, self.state.message, self.c
                )
                pk = create_alert(
                    self.store,
                    action.kind,
                    self.state.customer.id,
                    action.recipients,
                    content,
                    self.actor,
                    f"{self.why}: {action.reason}",
                    message_id=self.mid,
                )
                return f"alert:{pk}"
            case SuppressAlert():
                db.execute(
                    "update alerts set suppressed_count = suppressed_count + 1 where id = ?", [action.existing_alert_id]
                )
                self._audit("alert", action.existing_alert_id, "duplicate_suppressed", f"{self.why}: {action.reason}")
                return None
            case MarkContact():
                row = next(
                    db["contacts"].rows_where("customer_id = ? and lower(email) = ?", [self.customer_id, action.email])
                )
                change = {"status": action.status, "status_reason": action.reason, "updated_at": now}
                db["contacts"].update(row["id"], change)
                self.store.audit(
                    self.actor,
                    "contact",
                    row["id"],
                    "status_changed",
                    reason=f"{self.why}: {action.reason}",
                    before={"status": row["status"]},
                    after=change,
                    customer_id=self.customer_id,
                )
                return f"contact:{row['id']}"
            case FlagAccount():
                source_type, source_id = self.refs.get(action.source_key or "", ("message", self.mid))
                change = {"flag": action.flag, "flag_source": f"{source_type}:{source_id}"}
                assert self.customer_id is not None
                db["customers"].update(self.customer_id, change)
                self._audit("customer", self.customer_id, "flagged", self.why, change)
                return None
            case LogNote():
                self._audit("message", self.mid, "noted", f"{self.why}: {action.note}")
                return None
            case SetMessageStatus():
                before = db["messages"].get(self.mid)["status"]
                db["messages"].update(self.mid, {"status": action.status})
                self.store.audit(
                    self.actor,
                    "message",
                    self.mid,
                    "status_changed",
                    reason=action.reason,
                    before={"status": before},
                    after={"status": action.status},
                    customer_id=self.customer_id,
                )
                return None
            case _:
                assert_never(action)

    def _ref(self, key: str, entity: str, pk: int) -> str:
        self.refs[key] = (entity, pk)
        return f"{entity}:{pk}"


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
    applier = _Applier(store, state, classification, settings, actor)
    with store.transaction():
        record = [{**describe(a), "created": applier.apply(a)} for a in actions]
        return (
            store.db["routing_decisions"]
            .insert(
                {
                    "message_id": state.message.id,
                    "classification_id": classification_id,
                    "customer_id": applier.customer_id,
                    "label": classification.label.value,
                    "actions_json": dumps(record),
                    "status": "applied",
                    "created_by": actor,
                    "created_at": clock.now_iso(),
                }
            )
            .last_pk
        )


def reverse_decision(store: Store, decision: dict, actor: str, reason: str) -> list[str]:
    """Undo what a routing decision set up, where it can be undone; returns what could not be."""
    db = store.db
    mid = decision["message_id"]
    customer_id = decision["customer_id"]
    now = clock.now_iso()
    kept: list[str] = []
    with store.transaction():
        for case in db["disputes"].rows_where("message_id = ? and status = 'open'", [mid]):
            _close(
                store,
                "disputes",
                "dispute",
                case,
                {"status": "cancelled", "resolved_at": now, "resolved_by": actor, "resolution": reason},
                actor,
                reason,
            )
            cust = db["customers"].get(case["customer_id"])
            if cust["flag_source"] == f"dispute:{case['id']}":
                db["customers"].update(cust["id"], {"flag": None, "flag_source": None})
                store.audit(actor, "customer", cust["id"], "unflagged", reason=reason, customer_id=cust["id"])
        for promise in db["promises"].rows_where("message_id = ? and status = 'open'", [mid]):
            _close(store, "promises", "promise", promise, {"status": "cancelled", "resolved_at": now}, actor, reason)
        for task in db["tasks"].rows_where("message_id = ? and status = 'open'", [mid]):
            _close(
                store, "tasks", "task", task, {"status": "cancelled", "done_at": now, "done_by": actor}, actor, reason
            )
        for alert in db["alerts"].rows_where("message_id = ?", [mid]):
            if alert["status"] in ("pending", "failed"):
                db["alerts"].update(alert["id"], {"status": "cancelled", "next_attempt_at": None})
                store.audit(
                    actor,
                    "alert",
                    alert["id"],
                    "cancelled",
                    reason=reason,
                    before={"status": alert["status"]},
                    customer_id=customer_id,
                )
            elif alert["status"] == "sent":
                kept.append(f"alert #{alert['id']} was already delivered and cannot be recalled")
        lift_pauses_from(store, "message", mid, actor, reason)
        for contact in db["contacts"].rows_where(
            "status_reason = ? and status = 'bouncing'", [f"bounce in message {mid}"]
        ):
            change = {"status": "ok", "status_reason": None, "updated_at": now}
            db["contacts"].update(contact["id"], change)
            store.audit(
                actor,
                "contact",
                contact["id"],
                "status_changed",
                reason=reason,
                before={"status": "bouncing"},
                after=change,
                customer_id=contact["customer_id"],
            )
        db["routing_decisions"].update(decision["id"], {"status": "reversed", "reversed_by": actor, "reversed_at": now})
        store.audit(
            actor,
            "message",
            mid,
            "routing_reversed",
            reason=reason,
            after={"decision": decision["id"], "not_reversed": kept},
            customer_id=customer_id,
        )
    return kept


def _close(store: Store, table: str, entity: str, row: dict, change: dict, actor: str, reason: str) -> None:
    store.db[table].update(row["id"], change)
    store.audit(
        actor,
        entity,
        row["id"],
        change["status"],
        reason=reason,
        before={"status": row["status"]},
        after=change,
        customer_id=row["customer_id"],
    )
    lift_pauses_from(store, entity, row["id"], actor, reason)
