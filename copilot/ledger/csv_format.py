"""Reading ledger CSV files: decoding, header checks and row validation, before anything is stored.

Every problem is reported as (line number, reason) so a user can fix the file; the
importer in `copilot.ledger.importer` writes nothing unless the whole file passes.
"""

import csv
import hashlib
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator, model_validator

from copilot.errors import ImportRejected
from copilot.ledger.money import check_currency, parse_amount

INVOICE_COLUMNS = (
    "customer_id", "customer_name", "segment", "arr", "account_owner_email", "billing_emails",
    "invoice_number", "issue_date", "due_date", "amount", "currency", "open_balance", "status",
    "payment_link", "po_number", "account_team_emails", "risky",
    "contact_names", "contact_roles", "contact_language",
)  # fmt: skip
CONTACT_LANGUAGES = ("en", "de", "fr", "es", "nl")
INVOICE_REQUIRED = ("customer_id", "customer_name", "invoice_number", "due_date", "amount", "currency")
PAYMENT_COLUMNS = ("payment_id", "invoice_number", "customer_id", "amount", "currency", "paid_on", "method", "reference")
PAYMENT_REQUIRED = ("payment_id", "invoice_number", "amount", "currency", "paid_on")

STATUS_ALIASES = {
    "open": "open", "unpaid": "open", "overdue": "open", "outstanding": "open", "due": "open",
    "partially_paid": "partially_paid", "partially paid": "partially_paid", "partial": "partially_paid",
    "paid": "paid", "closed": "paid", "settled": "paid",
    "void": "void", "voided": "void", "cancelled": "void", "canceled": "void", "written_off": "void",
}  # fmt: skip

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


# Money and currency columns parse the same way in every file.
Amount = Annotated[Decimal, BeforeValidator(lambda v: v if v is None else parse_amount(str(v)))]
Currency = Annotated[str, BeforeValidator(lambda v: check_currency(str(v or "")))]


class InvoiceRow(_Row):
    customer_id: str
    customer_name: str
    segment: str | None = None
    arr: Amount | None = None
    account_owner_email: str | None = None
    billing_emails: list[str] = []
    account_team_emails: list[str] | None = None
    risky: bool | None = None
    invoice_number: str
    issue_date: date | None = None
    due_date: date
    amount: Amount
    currency: Currency
    open_balance: Amount | None = None
    status: str = "open"
    payment_link: str | None = None
    po_number: str | None = None
    # Optional, in the same order as billing_emails and separated by ";": who each contact is, and their role.
    contact_names: list[str] | None = None
    contact_roles: list[str] | None = None
    contact_language: str | None = None

    @field_validator("contact_names", "contact_roles", mode="before")
    @classmethod
    def _aligned(cls, value: Any) -> list[str] | None:
        if value is None:
            return None
        return [part.strip() for part in str(value).split(";")]

    @field_validator("contact_language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> str | None:
        if value is None:
            return None
        code = str(value).strip().lower()
        if code not in CONTACT_LANGUAGES:
            raise ValueError(f"contact_language {value!r} is not one of {', '.join(CONTACT_LANGUAGES)}")
        return code

    @field_validator("billing_emails", "account_team_emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> list[str] | None:
        if value is None:
            return None
        emails = [e.strip().lower() for e in str(value).replace(",", ";").split(";") if e.strip()]
        bad = [e for e in emails if not _is_email(e)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an email address")
        return emails

    @field_validator("billing_emails", mode="after")
    @classmethod
    def _no_billing(cls, value: list[str] | None) -> list[str]:
        return value or []

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
        for column in ("contact_names", "contact_roles"):
            values = getattr(self, column)
            if values is not None and len(values) != len(self.billing_emails):
                raise ValueError(f"{column} has {len(values)} entries but billing_emails has "
                                 f"{len(self.billing_emails)}; give one per billing email, in the same order")  # fmt: skip
        return self


class PaymentRow(_Row):
    payment_id: str
    invoice_number: str
    customer_id: str | None = None
    amount: Amount
    currency: Currency
    paid_on: date
    method: str | None = None
    reference: str | None = None

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError(f"amount must be positive (got {value})")
        return value


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


def validate_rows(rows: list[tuple[int, dict]], model: type[_Row], key: str) -> tuple[list[tuple[int, Any]], list[tuple[int, str]]]:
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
