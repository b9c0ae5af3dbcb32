"""Ledger import: invoices and payments from the CSV files ERPs and billing systems export.

A file is validated whole before anything is written. A bad row is reported with its
line number and reason, and the store is left untouched unless the caller asks to
skip invalid rows. Re-importing a file is idempotent.
"""

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from copilot import clock
from copilot.cadence import segment_for
from copilot.errors import ImportRejected
from copilot.money import check_currency, parse_amount
from copilot.policy import Policy
from copilot.store import Store

INVOICE_COLUMNS = (
    "customer_id", "customer_name", "segment", "arr", "account_owner_email", "billing_emails",
    "invoice_number", "issue_date", "due_date", "amount", "currency", "open_balance", "status",
    "payment_link", "po_number",
)  # fmt: skip
INVOICE_REQUIRED = ("customer_id", "customer_name", "invoice_number", "due_date", "amount", "currency")
PAYMENT_COLUMNS = ("payment_id", "invoice_number", "customer_id", "amount", "currency", "paid_on", "method", "reference")
PAYMENT_REQUIRED = ("payment_id", "invoice_number", "amount", "currency", "paid_on")

STATUS_ALIASES = {
    "open": "open", "unpaid": "open", "overdue": "open", "outstanding": "open", "due": "open",
    "partially_paid": "partially_paid", "partially paid": "partially_paid", "partial": "partially_paid",
    "paid": "paid", "closed": "paid", "settled": "paid",
    "void": "void", "voided": "void", "cancelled": "void", "canceled": "void", "written_off": "void",
}  # fmt: skip

ProgressFn = Callable[[int], None]


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _is_email(text: str) -> bool:
    local, _, domain = text.partition("@")
    return bool(local) and "." in domain and " " not in text


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: dict) -> dict:
        return {k: _blank_to_none(v) for k, v in data.items() if k is not None}


class InvoiceRow(_Row):
    customer_id: str
    customer_name: str
    segment: str | None = None
    arr: Decimal | None = None
    account_owner_email: str | None = None
    billing_emails: list[str] = []
    invoice_number: str
    issue_date: date | None = None
    due_date: date
    amount: Decimal
    currency: str
    open_balance: Decimal | None = None
    status: str = "open"
    payment_link: str | None = None
    po_number: str | None = None

    @field_validator("amount", "open_balance", "arr", mode="before")
    @classmethod
    def _decimal(cls, value: Any) -> Any:
        return None if value is None else parse_amount(str(value))

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        return check_currency(str(value or ""))

    @field_validator("billing_emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> list[str]:
        if value is None:
            return []
        emails = [e.strip().lower() for e in str(value).replace(",", ";").split(";") if e.strip()]
        bad = [e for e in emails if not _is_email(e)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an email address")
        return emails

    @field_validator("account_owner_email", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> Any:
        if value is not None and not _is_email(str(value).strip()):
            raise ValueError(f"{value!r} is not an email address")
        return None if value is None else str(value).strip().lower()

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        key = str(value or "open").strip().lower()
        if key not in STATUS_ALIASES:
            raise ValueError(f"unknown status {value!r} (expected open, partially_paid, paid or void)")
        return STATUS_ALIASES[key]

    @field_validator("payment_link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"payment_link {value!r} must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "InvoiceRow":
        if self.amount <= 0:
            raise ValueError(f"amount must be positive (got {self.amount}); credit notes are not invoices")
        if self.open_balance is None:
            self.open_balance = Decimal("0.00") if self.status == "paid" else self.amount
        if self.open_balance < 0:
            raise ValueError(f"open_balance must not be negative (got {self.open_balance})")
        if self.open_balance > self.amount:
            raise ValueError(f"open_balance {self.open_balance} is larger than amount {self.amount}")
        if self.issue_date and self.due_date < self.issue_date:
            raise ValueError(f"due_date {self.due_date} is before issue_date {self.issue_date}")
        if self.arr is not None and self.arr < 0:
            raise ValueError("arr must not be negative")
        return self


class PaymentRow(_Row):
    payment_id: str
    invoice_number: str
    customer_id: str | None = None
    amount: Decimal
    currency: str
    paid_on: date
    method: str | None = None
    reference: str | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal(cls, value: Any) -> Any:
        return parse_amount(str(value or ""))

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        return check_currency(str(value or ""))

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError(f"amount must be positive (got {value})")
        return value


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


def _pydantic_reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        if err.get("type") == "missing" or err.get("input", "") is None:
            msg = "is missing"
        elif err.get("type") in ("date_from_datetime_parsing", "date_parsing", "date_type"):
            msg = f"{err.get('input')!r} is not a date (use YYYY-MM-DD)"
        parts.append(f"{loc} {msg}" if loc else msg)
    return "; ".join(parts)


def read_csv(path: Path | str, columns: Iterable[str], required: Iterable[str]) -> tuple[list[tuple[int, dict]], str]:
    """Decode and split a CSV file into (line number, row) pairs; refuse unreadable files whole."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportRejected(str(path), [(0, f"cannot read the file: {exc.strerror or exc}")]) from None
    digest = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        raise ImportRejected(str(path), [(0, "the file is empty")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            str(path), [(line, f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x}); export it as UTF-8 CSV")]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected(str(path), [(1, f"missing column(s): {', '.join(missing)}")])
    unknown = [h for h in header if h and h not in columns]
    if unknown:
        raise ImportRejected(str(path), [(1, f"unknown column(s): {', '.join(unknown)}")])
    rows: list[tuple[int, dict]] = []
    start = 2
    for row in reader:
        if any(v and v.strip() for v in row.values() if isinstance(v, str)):
            if None in row:
                rows.append((start, {"__extra__": row[None]}))
            else:
                rows.append((start, row))
        start = reader.line_num + 1
    if not rows:
        raise ImportRejected(str(path), [(0, "the file has a header but no data rows")])
    return rows, digest


def _validate(rows: list[tuple[int, dict]], model: type[_Row], key: str) -> tuple[list[tuple[int, Any]], list[tuple[int, str]]]:
    good: list[tuple[int, Any]] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if "__extra__" in row:
            problems.append((line, "the row has more fields than the header"))
            continue
        try:
            parsed = model.model_validate(row)
        except ValidationError as exc:
            problems.append((line, _pydantic_reason(exc)))
            continue
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        ident = getattr(parsed, key)
        if ident in seen:
            problems.append((line, f"{key} {ident!r} appears again (first on line {seen[ident]})"))
            continue
        seen[ident] = line
        good.append((line, parsed))
    return good, problems


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
    good, problems = _validate(rows, InvoiceRow, "invoice_number")
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
    return result


def _upsert_customer(store: Store, inv: InvoiceRow, segment: str, now: str, actor: str) -> None:
    table = store.db["customers"]
    row = {
        "id": inv.customer_id,
        "name": inv.customer_name,
        "segment": segment,
        "arr": None if inv.arr is None else str(inv.arr),
        "account_owner_email": inv.account_owner_email,
    }
    existing = next(table.rows_where("id = ?", [inv.customer_id]), None)
    if existing is None:
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
    for email in inv.billing_emails:
        if next(table.rows_where("customer_id = ? and email = ?", [inv.customer_id, email]), None):
            continue
        pk = table.insert(
            {"customer_id": inv.customer_id, "email": email, "role": "billing", "status": "ok",
             "created_at": now, "updated_at": now}
        ).last_pk  # fmt: skip
        store.audit(actor, "contact", pk, "created", after={"email": email}, customer_id=inv.customer_id)


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
    else:
        result.unchanged.append(inv.invoice_number)
    result.affected_invoices.add(inv.invoice_number)


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
    good, problems = _validate(rows, PaymentRow, "payment_id")
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
