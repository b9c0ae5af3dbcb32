"""Routing entry points: route a classified reply, correct its label, and the human steps that end a hold."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from copilot import clock
from copilot.classify.classifications import current_classification, save_classification, to_model
from copilot.classify.gist import carried_gist
from copilot.config import Settings
from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.labels import LABELS, Classification, Label
from copilot.ledger.credits import CREDIT_KINDS, add_credits, split_credit
from copilot.policy.model import Policy
from copilot.policy.pauses import lift_pause
from copilot.records import update_audited
from copilot.routing.actions import Action
from copilot.routing.apply import apply_actions, close_with_pauses, mark_stale, reverse_decision, unflag
from copilot.routing.decide import decide
from copilot.routing.isolation import RoutingReport, route_isolated
from copilot.routing.state import load_account_state
from copilot.store import Store, loads
from copilot.wording import person, words


def applied_decision(store: Store, message_id: int) -> dict | None:
    """The routing decision currently in force for a message, if any."""
    return next(
        store.db["routing_decisions"].rows_where(
            "message_id = ? and status = 'applied'", [message_id], order_by="id desc", limit=1
        ),
        None,
    )


def route_message(
    store: Store, message_id: int, policy: Policy, settings: Settings, actor: str = "router"
) -> list[Action]:
    """Route a message's current classification; a second call for the same classification changes nothing.

    A new classification (a human correction) or a newly linked customer re-routes: what the
    previous decision set up is reversed where it can be, then the new decision is applied.
    """
    with store.transaction():
        row = current_classification(store, message_id)
        if row is None:
            if next(store.db["messages"].rows_where("id = ?", [message_id]), None) is None:
                raise NotFound(f"no message with id {message_id}")
            raise InvalidTransition(f"message {message_id} has not been classified yet")
        previous = applied_decision(store, message_id)
        customer_id = store.db["messages"].get(message_id)["customer_id"]
        if previous is not None:
            if (previous["classification_id"], previous["customer_id"]) == (row["id"], customer_id):
                return []
            if previous["classification_id"] != row["id"]:
                why = f"reply {message_id} was reclassified as {words(row['label'])}"
            else:
                why = f"reply {message_id} was linked to customer {customer_id}"
            reverse_decision(store, previous, actor, why)
        classification = to_model(row)
        state = load_account_state(
            store, message_id, settings, clock.today(), clock.now(), policy.routing.alert_dedupe_hours
        )
        actions = decide(classification, state, policy)
        apply_actions(store, state, classification, row["id"], actions, settings, actor)
    return actions


def make_router(policy: Policy, settings: Settings, actor: str = "router") -> Callable[[Store, int], list[Action]]:
    """The `router` callback for triage: routes each reply as soon as it is classified."""
    return lambda store, message_id: route_message(store, message_id, policy, settings, actor)


def route_classified(store: Store, policy: Policy, settings: Settings, actor: str = "router",
                     report: RoutingReport | None = None) -> RoutingReport:  # fmt: skip
    """Route every message that is classified but not yet routed, each in its own transaction.

    A reply whose routing fails is rolled back alone and sent to review with the error; the rest are
    still routed. Returns (and adds to `report`) what was routed and what failed.
    """
    report = report if report is not None else RoutingReport()
    ids = [r["id"] for r in store.db["messages"].rows_where("status = 'classified'", select="id", order_by="id")]
    for message_id in ids:
        route_isolated(store, message_id, lambda s, mid: route_message(s, mid, policy, settings, actor), actor, report)
    return report


def override_label(
    store: Store,
    message_id: int,
    new_label: Label | str,
    user: str,
    reason: str | None,
    policy: Policy,
    settings: Settings,
    *,
    frustrated: bool | None = None,
    promise_date: date | None = None,
    promise_amount: Decimal | None = None,
    dispute_reason: str | None = None,
    request_kind: str | None = None,
    return_date: date | None = None,
) -> list[Action]:
    """A person sets the label: old actions are reversed where possible, the new ones applied, the correction kept."""
    if str(new_label) not in LABELS:
        raise CopilotError(f"unknown label {str(new_label)!r}; use one of: {', '.join(LABELS)}")
    label = Label(new_label)
    with store.transaction():
        row = current_classification(store, message_id)
        if row is None and next(store.db["messages"].rows_where("id = ?", [message_id]), None) is None:
            raise NotFound(f"no message with id {message_id}")
        old = to_model(row) if row else None
        if frustrated is None:
            # Keep the flag the classifier raised unless the person moved the reply off 'frustration'.
            frustrated = bool(
                old and old.frustrated and not (old.label is Label.FRUSTRATION and label is not Label.FRUSTRATION)
            )
        corrected = Classification(
            label=label,
            frustrated=frustrated,
            confidence=1.0,
            promise_date=promise_date or (old.promise_date if old else None),
            promise_amount=promise_amount if promise_amount is not None else (old.promise_amount if old else None),
            promise_currency=old.promise_currency if old else None,
            dispute_reason=dispute_reason or (old.dispute_reason if old else None),
            request_kind=request_kind or (old.request_kind if old else None),
            return_date=return_date or (old.return_date if old else None),
            auto_reply_kind=old.auto_reply_kind if old else None,
            evidence=old.evidence if old else None,
            source="human",
        )
        before = f"from {words(old.label.value)} " if old else ""
        message = store.conn.execute("select coalesce(text_reply, text_full) from messages where id = ?",
                                     [message_id]).fetchone()  # fmt: skip
        gist = carried_gist(row, message[0] if message else None, corrected)
        save_classification(
            store, message_id, corrected, actor=user, gist=gist,
            reason=reason or f"{person(user)} corrected the label {before}to {words(label.value)}.",
        )
        return route_message(store, message_id, policy, settings, actor=user)


def _row(store: Store, table: str, pk: int, what: str) -> dict:
    row = next(store.db[table].rows_where("id = ?", [pk]), None)
    if row is None:
        raise NotFound(f"no {what} with id {pk}")
    return row


OUTCOMES: dict[str, str] = {
    "credit_note": "Credit note",
    "partial_credit": "Partial credit",
    "void": "Invoice voided",
    "stands": "Invoice stands",
}


def disputed_invoices(store: Store, case: dict) -> list[dict]:
    """The open invoices a dispute is about: those it names, or every open one for an account-wide case."""
    numbers = loads(case["invoice_numbers_json"], []) or []
    sql = "select * from invoices where customer_id = ? and status in ('open', 'partially_paid')"
    args: list = [case["customer_id"]]
    if numbers:
        sql += f" and number in ({','.join('?' * len(numbers))})"
        args += numbers
    return list(store.db.query(sql + " order by due_date, number", args))


def resolve_dispute(store: Store, dispute_id: int, user: str, resolution: str, *, outcome: str | None = None,
                    amount: Decimal | None = None) -> dict:  # fmt: skip
    """Close a dispute case; its pauses lift and dunning resumes on the next plan.

    With an `outcome`, the resolution is structured: a credit note (for `amount`, or the whole
    disputed balance), a partial credit (for `amount`, less than the balance), a void, or the
    invoice stands. Credits and voids are recorded as pending credits, which lower what the
    plan chases until the ERP import books them. Returns the resolved case.
    """
    case = _row(store, "disputes", dispute_id, "dispute")
    if case["status"] != "open":
        raise InvalidTransition(f"dispute {dispute_id} is {case['status']}, not open")
    if outcome is not None and outcome not in OUTCOMES:
        raise CopilotError(f"unknown outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
    invoices = disputed_invoices(store, case) if outcome in CREDIT_KINDS else []
    parts: list[tuple[dict, Decimal]] = []
    if outcome in CREDIT_KINDS:
        if not invoices:
            raise InvalidTransition(f"dispute {dispute_id} has no open invoice left to credit or void")
        if len({i["currency"] for i in invoices}) > 1 and outcome != "void":
            raise CopilotError("the disputed invoices are in several currencies; resolve a credit per invoice")
        at_stake = sum((Decimal(i["open_balance"]) for i in invoices), Decimal("0"))
        if outcome == "void":
            parts = [(i, Decimal(i["open_balance"])) for i in invoices if Decimal(i["open_balance"]) > 0]
        elif outcome == "credit_note":
            parts = split_credit(amount if amount is not None else at_stake, invoices)
        else:
            if amount is None:
                raise CopilotError("a partial credit needs the amount credited")
            if amount >= at_stake:
                raise CopilotError(f"a partial credit must be less than the {at_stake:,.2f} at stake; "
                                   "use a credit note for the whole balance")  # fmt: skip
            parts = split_credit(amount, invoices)
    elif amount is not None:
        raise CopilotError("an amount only goes with a credit note or a partial credit")
    if outcome is not None and not resolution.strip():
        resolution = OUTCOMES[outcome]
        if parts and outcome != "void":
            resolution += f" for {invoices[0]['currency']} {sum(p for _, p in parts):,.2f}"
    if not resolution.strip():
        raise InvalidTransition("say how the dispute was resolved (credit note, reissued invoice, customer agreed …)")
    credited = sum((p for _, p in parts), Decimal("0"))
    change = {"status": "resolved", "resolved_at": clock.now_iso(), "resolved_by": user, "resolution": resolution,
              "resolution_kind": outcome, "resolution_amount": str(credited) if parts else None}  # fmt: skip
    reason = f"dispute #{dispute_id} resolved: {resolution}"
    with store.transaction():
        close_with_pauses(store, "disputes", "dispute", dispute_id, change, user, reason)
        unflag(store, case["customer_id"], f"dispute:{dispute_id}", user, reason)
        add_credits(store, case, outcome or "", parts, user)
        if parts:  # a waiting draft may still ask for the balance before the credit
            credited_on = ", ".join(sorted({inv["number"] for inv, _ in parts}))
            mark_stale(store, case["customer_id"], f"dispute #{dispute_id} credited {credited_on} after the draft "
                                                   "was planned", user)  # fmt: skip
    return {**case, **change}


def update_dispute(store: Store, dispute_id: int, user: str, *, reason: str | None = None,
                   owner_user: str | None = None) -> None:  # fmt: skip
    """Correct a dispute's reason or hand it to another person (a web user, not a shared mailbox)."""
    case = _row(store, "disputes", dispute_id, "dispute")
    change: dict = {}
    if reason is not None:
        if not reason.strip():
            raise CopilotError("the dispute reason cannot be empty")
        if reason.strip() != (case["reason"] or ""):
            change["reason"] = reason.strip()
    if owner_user is not None:
        owner_user = owner_user.strip() or None
        people = "username = ? and active = 1 and role in ('collector', 'admin')"
        if owner_user and not store.db["users"].count_where(people, [owner_user]):
            raise CopilotError(f"no active user named {owner_user!r} to own the dispute")
        if owner_user != case["owner_user"]:
            change["owner_user"] = owner_user
    if not change:
        return
    update_audited(store, "disputes", dispute_id, change, actor=user, entity="dispute", action="edited",
                   reason=f"dispute #{dispute_id} edited by {person(user)}")  # fmt: skip


def complete_task(store: Store, task_id: int, user: str, note: str | None = None) -> None:
    """Mark a collector task done; the invoices it held go back into the cadence."""
    task = _row(store, "tasks", task_id, "task")
    if task["status"] != "open":
        raise InvalidTransition(f"task {task_id} is {task['status']}, not open")
    change = {"status": "done", "done_at": clock.now_iso(), "done_by": user}
    close_with_pauses(store, "tasks", "task", task_id, change, user, note or f"task #{task_id} done")


def clear_frustration_pause(store: Store, customer_id: str, user: str, reason: str) -> int:
    """Allow automatic sends again for an account a person has talked to; returns how many holds were lifted."""
    rows = list(
        store.db["pauses"].rows_where("customer_id = ? and reason = 'frustration' and lifted_at is null", [customer_id])
    )
    if not rows:
        raise InvalidTransition(f"customer {customer_id} has no frustration hold to clear")
    with store.transaction():
        for row in rows:
            lift_pause(store, row["id"], user, reason)
    return len(rows)
