"""Scheduled checks: promises falling due, paid claims expiring, snoozes ending, dispute SLAs breached.

`tick` is safe to run as often as you like: each check acts once and records it.
`on_payments` runs right after a payments import so promises are marked kept the same day.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from copilot import clock
from copilot.config import Settings
from copilot.ledger.daily import record_day
from copilot.ledger.money import fmt
from copilot.policy.model import Policy
from copilot.policy.pauses import lift_pause
from copilot.routing.alerts import compose_alert, create_alert
from copilot.routing.apply import close_with_pauses, mark_stale, open_task, settle_plan_of
from copilot.routing.state import dispute_owner, load_customer, load_message
from copilot.store import Store, loads
from copilot.wording import words

ACTOR = "scheduler"


@dataclass
class TickReport:
    promises_kept: list[int] = field(default_factory=list)
    promises_broken: list[int] = field(default_factory=list)
    paid_claims_confirmed: list[int] = field(default_factory=list)
    paid_claims_expired: list[int] = field(default_factory=list)
    snoozes_ended: list[int] = field(default_factory=list)
    sla_breaches: list[int] = field(default_factory=list)
    tasks_created: list[int] = field(default_factory=list)
    alerts_raised: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(ids) for name, ids in asdict(self).items()}


def _payments_since(
    store: Store,
    since: str,
    *,
    invoices: list[str] | None = None,
    customer_id: str | None = None,
    currency: str | None = None,
) -> Decimal:
    sql, args = "paid_on >= ?", [since]
    if invoices is not None:
        sql += f" and invoice_number in ({','.join('?' * len(invoices))})"
        args += invoices
    if customer_id is not None:
        sql += " and customer_id = ?"
        args.append(customer_id)
    if currency:
        sql += " and currency = ?"
        args.append(currency)
    return sum((Decimal(r["amount"]) for r in store.db["payments"].rows_where(sql, args)), Decimal("0"))


def _invoices_closed(store: Store, numbers: list[str]) -> bool:
    rows = [next(store.db["invoices"].rows_where("number = ?", [n]), None) for n in numbers]
    return all(r is None or r["status"] in ("paid", "void") or Decimal(r["open_balance"]) <= 0 for r in rows)


def promise_kept(store: Store, promise: dict) -> bool:
    """Kept when the promised amount arrived after the promise was made, or every invoice it covers is paid.

    An account-wide promise with no amount counts as kept on any payment from the customer.
    """
    invoices = loads(promise["invoice_numbers_json"], []) or []
    since = promise["created_at"][:10]
    amount = Decimal(promise["amount"]) if promise["amount"] else None
    if invoices and _invoices_closed(store, invoices):
        return True
    received = _payments_since(
        store,
        since,
        invoices=invoices or None,
        customer_id=None if invoices else promise["customer_id"],
        currency=promise["currency"],
    )
    if amount is not None:
        # An instalment is kept once payments cover it on top of the plan's earlier instalments.
        return received >= amount + Decimal(promise.get("plan_amount_before") or "0")
    return not invoices and received > 0


def _mark_promise(store: Store, promise: dict, status: str, reason: str) -> None:
    change = {"status": status, "resolved_at": clock.now_iso()}
    close_with_pauses(
        store, "promises", "promise", promise["id"], change, ACTOR, f"promise #{promise['id']} {status}: {reason}"
    )
    settle_plan_of(store, promise["id"], ACTOR, f"instalment {promise.get('instalment')} {status}: {reason}")


def on_payments(store: Store, invoice_numbers: set[str] | list[str], policy: Policy, as_of: date) -> TickReport:
    """After a payments import: mark promises kept and end 'paid' holds whose money has now arrived."""
    report = TickReport()
    numbers = sorted(set(invoice_numbers))
    if not numbers:
        return report
    marks = ",".join("?" * len(numbers))
    customer_invoices: dict[str, set[str]] = {}
    for r in store.db["invoices"].rows_where(f"number in ({marks})", numbers, select="number, customer_id"):
        customer_invoices.setdefault(r["customer_id"], set()).add(r["number"])
    customers = sorted(customer_invoices)
    with store.transaction():
        for customer_id in customers:
            for promise in list(store.db["promises"].rows_where("customer_id = ? and status = 'open'", [customer_id])):
                covered = loads(promise["invoice_numbers_json"], []) or []
                if covered and not set(covered) & set(numbers):
                    continue
                if promise_kept(store, promise):
                    _mark_promise(store, promise, "kept", "payment recorded")
                    report.promises_kept.append(promise["id"])
            _confirm_paid_claims(store, customer_id, numbers, report)
            paid = [n for n in numbers if n in customer_invoices.get(customer_id, ())]
            mark_stale(store, customer_id, f"payment recorded on {', '.join(paid)} after the draft was planned", ACTOR)
    return report


def _confirm_paid_claims(store: Store, customer_id: str, paid_numbers: list[str], report: TickReport) -> None:
    rows = store.db["pauses"].rows_where("customer_id = ? and reason = 'paid' and lifted_at is null", [customer_id])
    for pause in list(rows):
        number = pause["invoice_number"]
        if (number is None and paid_numbers) or (number in paid_numbers and _invoices_closed(store, [number])):
            lift_pause(store, pause["id"], ACTOR, "payment recorded; the paid claim is confirmed")
            report.paid_claims_confirmed.append(pause["id"])


def tick(store: Store, policy: Policy, settings: Settings, as_of: date) -> TickReport:
    """Run the scheduled checks for `as_of`."""
    report = TickReport()
    with store.transaction():
        _check_promises(store, policy, as_of, report)
        _check_paid_claims(store, policy, as_of, report)
        _end_snoozes(store, as_of, report)
        _check_dispute_slas(store, settings, as_of, report)
    record_day(store, as_of, only_if_missing=True)  # the dashboard's daily figures, once a day
    return report


def _check_promises(store: Store, policy: Policy, as_of: date, report: TickReport) -> None:
    due = store.db["promises"].rows_where("status = 'open' and promised_date <= ?", [as_of.isoformat()], order_by="id")
    for promise in list(due):
        if promise_kept(store, promise):
            _mark_promise(store, promise, "kept", "payment recorded by the promised date")
            report.promises_kept.append(promise["id"])
        elif promise["grace_until"] < as_of.isoformat():
            invoices = loads(promise["invoice_numbers_json"], []) or []
            what = fmt(promise["amount"], promise["currency"]) if promise["amount"] else "payment"
            on = f" on {', '.join(invoices)}" if invoices else ""
            reason = f"{what} promised for {promise['promised_date']}{on} had not arrived by {promise['grace_until']}"
            _mark_promise(store, promise, "broken", reason)
            report.promises_broken.append(promise["id"])
            task = open_task(
                store, promise["customer_id"], "broken_promise", f"Broken promise: {reason}; follow up",
                invoices=invoices, due_date=as_of + timedelta(days=policy.routing.task_due_days),
                message_id=promise["message_id"], source=("promise", promise["id"]), actor=ACTOR, reason=reason,
            )  # fmt: skip
            report.tasks_created.append(task)


def _check_paid_claims(store: Store, policy: Policy, as_of: date, report: TickReport) -> None:
    expired = list(
        store.db["pauses"].rows_where(
            "reason = 'paid' and lifted_at is null and until < ?", [as_of.isoformat()], order_by="id"
        )
    )
    by_claim: dict[tuple[str, str, str], list[dict]] = {}
    for pause in expired:
        by_claim.setdefault((pause["customer_id"], pause["source_type"], pause["source_id"]), []).append(pause)
    for (customer_id, source_type, source_id), pauses in by_claim.items():
        unpaid = []
        for pause in pauses:
            number = pause["invoice_number"]
            paid = (
                _invoices_closed(store, [number])
                if number
                else _payments_since(store, pause["created_at"][:10], customer_id=customer_id) > 0
            )
            if paid:
                lift_pause(store, pause["id"], ACTOR, "payment recorded; the paid claim is confirmed")
                report.paid_claims_confirmed.append(pause["id"])
            else:
                lift_pause(store, pause["id"], ACTOR, f"no payment recorded by {pause['until']}; back in the cadence")
                report.paid_claims_expired.append(pause["id"])
                unpaid.append(number or "the account")
        if unpaid:
            message_id = int(source_id) if source_type == "message" else None
            text = f"Customer said {', '.join(unpaid)} was paid, but no payment is recorded; check cash application"
            task = open_task(
                store, customer_id, "payment_check", text, invoices=[n for n in unpaid if n != "the account"],
                due_date=as_of + timedelta(days=policy.routing.task_due_days), message_id=message_id,
                source=(source_type, source_id), actor=ACTOR, reason=text,
            )  # fmt: skip
            report.tasks_created.append(task)


def _end_snoozes(store: Store, as_of: date, report: TickReport) -> None:
    ended = store.db["pauses"].rows_where("reason = 'snooze' and lifted_at is null and until < ?", [as_of.isoformat()])
    for pause in list(ended):
        lift_pause(store, pause["id"], ACTOR, f"snooze ended on {pause['until']}; the next touch may go out")
        report.snoozes_ended.append(pause["id"])


def _check_dispute_slas(store: Store, settings: Settings, as_of: date, report: TickReport) -> None:
    breached = store.db["disputes"].rows_where(
        "status = 'open' and sla_alerted_at is null and sla_due_at < ?", [as_of.isoformat()], order_by="id"
    )
    for case in list(breached):
        customer = load_customer(store, case["customer_id"], as_of)
        message = load_message(store, case["message_id"]) if case["message_id"] else None
        age = (as_of - date.fromisoformat(case["opened_at"][:10])).days
        reason = (
            f"dispute #{case['id']} ({words(case['reason'])}) has been open {age} days; its deadline was {case['sla_due_at']}"
        )
        content = compose_alert("sla_breach", customer, reason, settings, message)
        owner = case["owner_email"] or dispute_owner(settings)
        alert_id = create_alert(
            store, "sla_breach", customer.id, (owner,), content, ACTOR, reason, message_id=case["message_id"]
        )
        store.db["disputes"].update(case["id"], {"sla_alerted_at": clock.now_iso()})
        store.audit(ACTOR, "dispute", case["id"], "sla_breached", reason=reason, customer_id=customer.id)
        report.sla_breaches.append(case["id"])
        report.alerts_raised.append(alert_id)

