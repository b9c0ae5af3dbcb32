"""The routing decision: a pure function from a classification and the account's facts to actions."""

from datetime import date, timedelta
from decimal import Decimal
from typing import assert_never

from copilot.classify.instalments import extract_plan, schedule
from copilot.labels import Classification, Label
from copilot.ledger.money import fmt
from copilot.policy.model import Policy, RoutingPolicy
from copilot.routing.actions import (
    Action,
    CancelPromise,
    CreateTask,
    FlagAccount,
    LogNote,
    MarkContact,
    OpenDispute,
    Pause,
    PlannedInstalment,
    RaiseAlert,
    RecordPlan,
    RecordPromise,
    SetMessageStatus,
    SuppressAlert,
)
from copilot.routing.state import AccountState
from copilot.wording import words

# What the collector is asked to do for each kind of request; the task names it.
REQUEST_TASKS: dict[str, str] = {
    "w9": "Send a W-9 form",
    "invoice_copy": "Send a copy of the invoice",
    "bank_details": "Confirm our bank details (by phone, from a known number)",
    "po": "Reissue the invoice with the customer's PO number",
    "portal": "Upload the invoice to the customer's AP portal",
    "statement": "Send a statement of account",
    "contact_change": "Update the billing contact",
    "other": "Answer the customer's request",
}


def decide(classification: Classification, state: AccountState, policy: Policy) -> list[Action]:
    """Decide what one classified reply changes. No I/O: facts in, actions out."""
    rules = policy.routing
    c = classification
    if state.customer is None:
        return [SetMessageStatus("unmatched", "no customer is linked to this reply yet")]
    if c.needs_review or c.confidence < rules.review_below_confidence:
        why = (
            "the classifier asked for review"
            if c.needs_review
            else (f"confidence {c.confidence:.2f} is below {rules.review_below_confidence:.2f}")
        )
        return [SetMessageStatus("needs_review", f"it reads as {words(c.label.value)}, but {why}; a person decides")]
    actions = _for_label(c, state, rules)
    if c.escalate:
        actions += _escalate(c, state, rules)
    if not any(isinstance(a, SetMessageStatus) for a in actions):
        actions.append(
            SetMessageStatus("routed", f"routed as {words(c.label.value)}" + (", frustrated" if c.frustrated else ""))
        )
    return actions


def _for_label(c: Classification, state: AccountState, rules: RoutingPolicy) -> list[Action]:
    label = c.label
    match label:
        case Label.DISPUTE:
            return _dispute(c, state, rules)
        case Label.PROMISE_TO_PAY:
            return _promise(c, state, rules)
        case Label.PAID:
            return _paid(state, rules)
        case Label.REQUEST:
            return _request(c, state, rules)
        case Label.AUTO_REPLY:
            return _auto_reply(c, state, rules)
        case Label.ACKNOWLEDGEMENT:
            return [LogNote("acknowledged; the cadence continues")]
        case Label.FRUSTRATION:
            return []  # the escalation below is the whole response
        case Label.OTHER:
            return [SetMessageStatus("needs_review", "it fits no label; a person decides what it needs")]
        case _:
            assert_never(label)


def _dispute(c: Classification, state: AccountState, rules: RoutingPolicy) -> list[Action]:
    invoices = state.matched_open_invoices
    reason = c.dispute_reason or "unspecified"
    for case in state.open_disputes:
        if (invoices and set(invoices) <= set(case.invoice_numbers)) or (not invoices and case.account_wide):
            return [LogNote(f"already covered by open dispute #{case.id}; no second case opened")]
    actions: list[Action] = [
        OpenDispute(
            key="dispute",
            reason=reason,
            invoice_numbers=invoices,
            owner_email=state.dispute_owner_email,
            sla_due=state.as_of + timedelta(days=rules.dispute_sla_days),
            account_wide=not invoices,
        )
    ]
    note = f"in dispute ({words(reason)}) until the case is resolved"
    if invoices:
        # A promise on a disputed invoice is moot until the case ends; left open it would only "break".
        actions += [
            CancelPromise(p.id, f"invoice disputed in reply {state.message.id}")
            for p in state.open_promises
            if set(p.invoice_numbers) & set(invoices)
        ]
        actions += [Pause("dispute", note, invoice_number=n, source_key="dispute") for n in invoices]
        return actions
    if rules.dispute_pauses_account_when_unmatched:
        actions.append(
            Pause("dispute", note + "; no invoice was matched, so the whole account waits", source_key="dispute")
        )
    actions.append(
        FlagAccount("dispute names no matched invoice: find out which invoices it covers", source_key="dispute")
    )
    return actions


def _promise(c: Classification, state: AccountState, rules: RoutingPolicy) -> list[Action]:
    given = c.promise_date is not None
    promised = c.promise_date or state.as_of + timedelta(days=rules.promise_default_days)
    grace_until = promised + timedelta(days=rules.promise_grace_days)
    invoices = state.matched_open_invoices
    currency = c.promise_currency
    if currency is None and c.promise_amount is not None and state.customer is not None:
        currency = state.customer.currency  # "we'll pay 1,200 on Friday" means the account's currency
    # A newer promise on the same invoices replaces the older one instead of leaving it to break.
    actions: list[Action] = [
        CancelPromise(p.id, f"replaced by the promise in reply {state.message.id}")
        for p in state.open_promises
        if not invoices or not p.invoice_numbers or set(invoices) & set(p.invoice_numbers)
    ]
    plan = _plan(c, state, rules, promised, currency)
    if plan is not None:
        return actions + plan
    actions.append(
        RecordPromise(
            key="promise",
            promised_date=promised,
            date_was_given=given,
            amount=c.promise_amount,
            currency=currency,
            invoice_numbers=invoices,
            grace_until=grace_until,
        )
    )
    if grace_until < state.as_of:
        actions.append(LogNote(f"promised date {promised} is already past its grace period; checked on the next tick"))
        return actions
    when = promised.isoformat() + ("" if given else f" (no date given: {rules.promise_default_days} days assumed)")
    note = f"promise to pay on {when}; waiting until {grace_until}"
    targets: tuple[str | None, ...] = invoices or (None,)
    actions += [Pause("promise", note, invoice_number=n, until=grace_until, source_key="promise") for n in targets]
    return actions


def _plan(c: Classification, state: AccountState, rules: RoutingPolicy, first: date, currency: str | None) -> list[Action] | None:
    """Several instalments in the reply: one plan, dunning waiting until the last instalment's grace ends."""
    sent = date.fromisoformat(state.message.sent_at[:10]) if state.message.sent_at else state.as_of
    terms = extract_plan(state.message.excerpt, sent)
    if terms is None or state.customer is None:
        return None
    invoices = state.matched_open_invoices
    currency = terms.currency() or currency or state.customer.currency
    owed = [i for i in state.customer.open_invoices if (not invoices or i.number in invoices) and i.currency == currency]
    total = sum((i.open_balance for i in owed), Decimal("0")) or None
    grace = timedelta(days=rules.promise_grace_days)
    planned = tuple(PlannedInstalment(i.due, i.amount, i.due + grace) for i in schedule(terms, first, total, currency))
    last = planned[-1].grace_until
    amounts = ", ".join(f"{p.due}" + (f" {fmt(p.amount, currency)}" if p.amount is not None else "") for p in planned)
    note = f"payment plan in {len(planned)} instalments ({amounts}); waiting until {last}"
    actions: list[Action] = [RecordPlan("plan", currency, total, planned, invoices)]
    if last < state.as_of:
        return [*actions, LogNote("every instalment is already past its grace period; checked on the next tick")]
    targets: tuple[str | None, ...] = invoices or (None,)
    return [*actions, *(Pause("promise", note, invoice_number=n, until=last, source_key="plan") for n in targets)]


def _paid(state: AccountState, rules: RoutingPolicy) -> list[Action]:
    if state.message.invoice_numbers and not state.matched_open_invoices:
        return [LogNote("the ledger already shows the invoices named in the reply as paid")]
    until = state.as_of + timedelta(days=rules.paid_window_days)
    note = f"customer says paid; waiting for cash application until {until}"
    targets: tuple[str | None, ...] = state.matched_open_invoices or (None,)
    return [Pause("paid", note, invoice_number=n, until=until) for n in targets]


def _request(c: Classification, state: AccountState, rules: RoutingPolicy) -> list[Action]:
    kind = c.request_kind if c.request_kind in REQUEST_TASKS else "other"
    invoices = state.matched_open_invoices
    what = REQUEST_TASKS[kind]
    description = (
        what
        + (f" for {', '.join(invoices)}" if invoices else "")
        + (f" (asked by {state.message.from_addr})" if state.message.from_addr else "")
    )
    actions: list[Action] = [
        CreateTask("task", kind, description, invoices, state.as_of + timedelta(days=rules.task_due_days))
    ]
    if rules.request_pauses_invoices:
        note = f"waiting on our side: {what.lower()}"
        actions += [Pause("request", note, invoice_number=n, source_key="task") for n in invoices]
    return actions


def _auto_reply(c: Classification, state: AccountState, rules: RoutingPolicy) -> list[Action]:
    kind = c.auto_reply_kind or state.message.auto_reply_kind or "other"
    if kind == "bounce":
        return _bounce(state, rules)
    if kind == "out_of_office" and c.return_date and rules.out_of_office_snooze:
        if c.return_date <= state.as_of:
            return [LogNote(f"out of office until {c.return_date}, which has passed; the cadence continues")]
        until = min(c.return_date - timedelta(days=1), state.as_of + timedelta(days=rules.out_of_office_max_days))
        return [Pause("snooze", f"out of office, back on {c.return_date}; next touch waits", until=until)]
    if kind == "ticket":
        return [LogNote("the customer's AP system logged a ticket; nothing to do")]
    return [LogNote(f"automatic reply ({kind.replace('_', ' ')}); the cadence continues")]


def _bounce(state: AccountState, rules: RoutingPolicy) -> list[Action]:
    contacts = state.contacts or {}
    bounced = [e for e in state.message.bounced_recipients if e in contacts]
    actions: list[Action] = [
        MarkContact(e, "bouncing", f"bounce in message {state.message.id}")
        for e in bounced
        if contacts[e] != "bouncing"
    ]
    who = ", ".join(state.message.bounced_recipients) or "an address we could not identify"
    actions.append(
        CreateTask(
            "task",
            "bad_contact",
            f"Find a working billing address: mail to {who} bounced",
            due_date=state.as_of + timedelta(days=rules.task_due_days),
        )
    )
    if rules.bounce_alerts_collector:
        actions.append(_alert_or_suppress(state, "bounce", (state.collector_email,), f"mail to {who} bounced"))
    return actions


def _escalate(c: Classification, state: AccountState, rules: RoutingPolicy) -> list[Action]:
    customer = state.customer
    assert customer is not None
    people = [customer.account_owner_email, *customer.account_team_emails]
    recipients = tuple(dict.fromkeys(p.lower() for p in people if p)) or (state.collector_email,)
    why = f"{words(c.label.value)}{' (frustrated)' if c.frustrated else ''}, confidence {c.confidence:.2f}"
    actions: list[Action] = [_alert_or_suppress(state, "frustration", recipients, why)]
    already = any(
        p.reason == "frustration" and p.scope == "auto_send" and p.invoice_number is None for p in state.pauses
    )
    if rules.frustration_pauses_auto_send and not already:
        actions.append(
            Pause("frustration", "unhappy customer: no automatic sends until a person clears it", scope="auto_send")
        )
    return actions


def _alert_or_suppress(state: AccountState, kind: str, recipients: tuple[str, ...], reason: str) -> Action:
    recent = state.recent_alert(kind)
    if recent is not None:
        when = str(recent.created_at)[:16].replace("T", " ")
        return SuppressAlert(kind, recent.id, f"alert #{recent.id} for this account was already raised at {when} UTC")
    return RaiseAlert(kind, recipients, reason)
