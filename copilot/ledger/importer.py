"""Ledger import: invoices and payments from the CSV files ERPs and billing systems export.

A file is validated whole (`copilot.ledger.csv_format`) before anything is written. A bad row is
reported with its line number and reason, and the store is left untouched unless the
caller asks to skip invalid rows. Re-importing a file is idempotent.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from copilot import clock
from copilot.drafting.stale import mark_stale
from copilot.errors import ImportRejected
from copilot.ledger.credits import confirm_credits
from copilot.ledger.csv_format import (  # noqa: F401  (the column lists are part of this module's interface)
    INVOICE_COLUMNS,
    INVOICE_REQUIRED,
    PAYMENT_COLUMNS,
    PAYMENT_REQUIRED,
    InvoiceRow,
    PaymentRow,
    read_csv,
    validate_rows,
)
from copilot.ledger.daily import record_day
from copilot.policy.cadence import segment_for
from copilot.policy.model import Policy
from copilot.store import Store, dumps

ProgressFn = Callable[[int], None]


@dataclass
class ImportResult:
    kind: str
    path: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    affected_invoices: set[str] = field(default_factory=set)

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.path,
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
        }


def _changes(before: dict | None, after: dict) -> dict | None:
    if before is None:
        return after
    diff = {k: v for k, v in after.items() if k not in ("created_at", "updated_at") and str(before.get(k)) != str(v)}
    return diff or None


def import_invoices(
    store: Store,
    path: Path | str,
    policy: Policy,
    *,
    skip_invalid: bool = False,
    actor: str = "import",
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Validate the whole invoice file, then upsert customers, contacts and invoices in one transaction."""
    rows, digest = read_csv(path, INVOICE_COLUMNS, INVOICE_REQUIRED)
    good, problems = validate_rows(rows, InvoiceRow, "invoice_number")
    segments: dict[int, str] = {}
    for line, inv in list(good):
        try:
            segments[line] = segment_for(inv.segment, inv.arr, policy)
        except ValueError as exc:
            problems.append((line, str(exc)))
            good.remove((line, inv))
    problems.sort()
    if problems and not skip_invalid:
        raise ImportRejected(str(path), problems)
    result = ImportResult("invoices", str(path), rows=len(rows), skipped=problems)
    now = clock.now_iso()
    with store.transaction():
        for line, inv in good:
            _upsert_customer(store, inv, segments[line], now, actor)
            _upsert_contacts(store, inv, now, actor)
            _upsert_invoice(store, inv, now, actor, result)
            if progress:
                progress(1)
        store.audit(
            actor, "import", digest[:16], "import_invoices",
            reason=f"file {Path(path).name} (sha256 {digest[:12]})", after=result.summary(),
        )  # fmt: skip
    record_day(store, clock.today())  # the dashboard's figures for today follow the ledger
    return result


def _upsert_customer(store: Store, inv: InvoiceRow, segment: str, now: str, actor: str) -> None:
    table = store.db["customers"]
    row = {
        "id": inv.customer_id,
        "name": inv.customer_name,
        "segment": segment,
        "arr": None if inv.arr is None else str(inv.arr),
        "account_owner_email": inv.account_owner_email,
        "account_team_emails": None if inv.account_team_emails is None else dumps(inv.account_team_emails),
        "risky": None if inv.risky is None else int(inv.risky),
    }
    existing = next(table.rows_where("id = ?", [inv.customer_id]), None)
    if existing is None:
        defaults = {"account_team_emails": "[]", "risky": 0}
        row = {k: defaults[k] if v is None and k in defaults else v for k, v in row.items()}
        table.insert({**row, "created_at": now, "updated_at": now})
        store.audit(actor, "customer", inv.customer_id, "created", after=row, customer_id=inv.customer_id)
        return
    diff = _changes(existing, {k: v for k, v in row.items() if v is not None or k == "segment"})
    if diff:
        table.update(inv.customer_id, {**diff, "updated_at": now})
        before = {k: existing.get(k) for k in diff}
        store.audit(actor, "customer", inv.customer_id, "updated", before=before, after=diff, customer_id=inv.customer_id)


def _upsert_contacts(store: Store, inv: InvoiceRow, now: str, actor: str) -> None:
    table = store.db["contacts"]
    for n, email in enumerate(inv.billing_emails):
        given = {"name": inv.contact_names[n] if inv.contact_names else None,
                 "role": inv.contact_roles[n] if inv.contact_roles else None,
                 "language": inv.contact_language}  # fmt: skip
        given = {k: v for k, v in given.items() if v}
        existing = next(table.rows_where("customer_id = ? and email = ?", [inv.customer_id, email]), None)
        if existing is not None:
            diff = _changes(existing, given)
            if diff:
                table.update(existing["id"], {**diff, "updated_at": now})
                store.audit(actor, "contact", existing["id"], "updated", before={k: existing.get(k) for k in diff},
                            after=diff, customer_id=inv.customer_id)  # fmt: skip
            continue
        row = {"customer_id": inv.customer_id, "email": email, "role": "billing", "status": "ok", **given}
        pk = table.insert({**row, "created_at": now, "updated_at": now}).last_pk
        store.audit(actor, "contact", pk, "created", after={"email": email, **given}, customer_id=inv.customer_id)


def _settled(erp_balance: Decimal, amount: Decimal, paid: Decimal, erp_status: str) -> tuple[Decimal, str]:
    """Pure: the open balance and status from the ERP's figures and the payments we recorded.

    The lower of the ERP balance and (amount - payments) wins, so a payment the ERP has
    already netted off is not counted twice, and one it has not seen yet still counts.
    """
    balance = min(erp_balance, max(amount - paid, Decimal("0.00")))
    if erp_status == "void":
        return balance, "void"
    if balance == 0:
        return Decimal("0.00"), "paid"
    return balance, "partially_paid" if balance < amount else "open"


def _paid_total(store: Store, number: str) -> Decimal:
    rows = store.db.execute("select amount from payments where invoice_number = ?", [number]).fetchall()
    return sum((Decimal(r[0]) for r in rows), Decimal("0.00"))


def _upsert_invoice(store: Store, inv: InvoiceRow, now: str, actor: str, result: ImportResult) -> None:
    table = store.db["invoices"]
    balance, status = _settled(inv.open_balance, inv.amount, _paid_total(store, inv.invoice_number), inv.status)
    row = {
        "number": inv.invoice_number,
        "customer_id": inv.customer_id,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "due_date": inv.due_date.isoformat(),
        "amount": str(inv.amount),
        "currency": inv.currency,
        "erp_open_balance": str(inv.open_balance),
        "open_balance": str(balance),
        "status": status,
        "payment_link": inv.payment_link,
        "po_number": inv.po_number,
    }
    existing = next(table.rows_where("number = ?", [inv.invoice_number]), None)
    diff = _changes(existing, row)
    if existing is None:
        table.insert({**row, "created_at": now, "updated_at": now})
        store.audit(actor, "invoice", inv.invoice_number, "created", after=row, customer_id=inv.customer_id)
        result.created.append(inv.invoice_number)
    elif diff:
        table.update(inv.invoice_number, {**diff, "updated_at": now})
        before = {k: existing.get(k) for k in diff}
        store.audit(actor, "invoice", inv.invoice_number, "updated", before=before, after=diff, customer_id=inv.customer_id)
        result.updated.append(inv.invoice_number)
        if {"status", "open_balance", "amount", "due_date"} & set(diff):
            mark_stale(store, inv.customer_id, f"the ERP changed {inv.invoice_number} ({', '.join(sorted(diff))}) "
                                               "after the draft was planned", actor)  # fmt: skip
    else:
        result.unchanged.append(inv.invoice_number)
    result.affected_invoices.add(inv.invoice_number)
    confirm_credits(store, inv.invoice_number, inv.open_balance, status, actor)


def import_payments(
    store: Store,
    path: Path | str,
    *,
    skip_invalid: bool = False,
    actor: str = "import",
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Record payments and reduce the open balance of their invoices; each payment applies once."""
    rows, digest = read_csv(path, PAYMENT_COLUMNS, PAYMENT_REQUIRED)
    good, problems = validate_rows(rows, PaymentRow, "payment_id")
    invoices = store.db["invoices"]
    for line, pay in list(good):
        inv = next(invoices.rows_where("number = ?", [pay.invoice_number]), None)
        reason = None
        if inv is None:
            reason = f"invoice {pay.invoice_number!r} is not in the ledger; import invoices first"
        elif pay.currency != inv["currency"]:
            reason = f"currency {pay.currency} does not match invoice {pay.invoice_number} ({inv['currency']})"
        elif pay.customer_id and pay.customer_id != inv["customer_id"]:
            reason = f"customer_id {pay.customer_id!r} does not own invoice {pay.invoice_number}"
        if reason:
            problems.append((line, reason))
            good.remove((line, pay))
    problems.sort()
    if problems and not skip_invalid:
        raise ImportRejected(str(path), problems)
    result = ImportResult("payments", str(path), rows=len(rows), skipped=problems)
    now = clock.now_iso()
    with store.transaction():
        for _, pay in good:
            _apply_payment(store, pay, now, actor, result)
            if progress:
                progress(1)
        store.audit(
            actor, "import", digest[:16], "import_payments",
            reason=f"file {Path(path).name} (sha256 {digest[:12]})", after=result.summary(),
        )  # fmt: skip
    record_day(store, clock.today())  # the dashboard's figures for today follow the ledger
    return result


def _apply_payment(store: Store, pay: PaymentRow, now: str, actor: str, result: ImportResult) -> None:
    payments = store.db["payments"]
    existing = next(payments.rows_where("id = ?", [pay.payment_id]), None)
    inv = store.db["invoices"].get(pay.invoice_number)
    row = {
        "id": pay.payment_id,
        "invoice_number": pay.invoice_number,
        "customer_id": inv["customer_id"],
        "amount": str(pay.amount),
        "currency": pay.currency,
        "paid_on": pay.paid_on.isoformat(),
        "method": pay.method,
        "reference": pay.reference,
    }
    if existing is not None and _changes(existing, row) is None:
        result.unchanged.append(pay.payment_id)
        return
    if existing is not None:
        payments.update(pay.payment_id, row)
        store.audit(actor, "payment", pay.payment_id, "updated", before=existing, after=row, customer_id=inv["customer_id"])
        result.updated.append(pay.payment_id)
        if existing["invoice_number"] != pay.invoice_number:
            _refresh_balance(store, existing["invoice_number"], now, actor, pay.payment_id)
    else:
        payments.insert({**row, "created_at": now})
        store.audit(actor, "payment", pay.payment_id, "recorded", after=row, customer_id=inv["customer_id"])
        result.created.append(pay.payment_id)
    _refresh_balance(store, pay.invoice_number, now, actor, pay.payment_id)
    result.affected_invoices.add(pay.invoice_number)


def _refresh_balance(store: Store, number: str, now: str, actor: str, payment_id: str) -> None:
    inv = store.db["invoices"].get(number)
    erp_status = "void" if inv["status"] == "void" else "open"
    balance, status = _settled(Decimal(inv["erp_open_balance"]), Decimal(inv["amount"]), _paid_total(store, number), erp_status)
    after = {"open_balance": str(balance), "status": status}
    before = {"open_balance": inv["open_balance"], "status": inv["status"]}
    if after != before:
        store.db["invoices"].update(number, {**after, "updated_at": now})
        store.audit(actor, "invoice", number, "payment_applied", reason=f"payment {payment_id}", before=before,
                    after=after, customer_id=inv["customer_id"])  # fmt: skip
