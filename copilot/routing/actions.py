"""What routing decides to do with one reply: small immutable action records.

`decide` returns a list of these; `apply` turns them into rows. Actions that create
something carry a `key`; a pause that belongs to it names that key in `source_key`,
so lifting the dispute (or finishing the task) lifts its pauses too.
"""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

PauseReason = Literal["dispute", "promise", "paid", "request", "frustration", "snooze", "manual"]
PauseScope = Literal["dunning", "auto_send"]
MessageStatus = Literal["routed", "needs_review", "unmatched"]


@dataclass(frozen=True)
class OpenDispute:
    key: str
    reason: str
    invoice_numbers: tuple[str, ...]
    owner_email: str
    sla_due: date
    account_wide: bool


@dataclass(frozen=True)
class Pause:
    reason: PauseReason
    note: str
    invoice_number: str | None = None  # None holds the whole account
    until: date | None = None  # None: until a person lifts it
    scope: PauseScope = "dunning"
    source_key: str | None = None  # the action this pause belongs to; None means the message itself


@dataclass(frozen=True)
class RecordPromise:
    key: str
    promised_date: date
    date_was_given: bool
    amount: Decimal | None
    currency: str | None
    invoice_numbers: tuple[str, ...]
    grace_until: date


@dataclass(frozen=True)
class PlannedInstalment:
    due: date
    amount: Decimal | None
    grace_until: date


@dataclass(frozen=True)
class RecordPlan:
    """A payment plan: one record, and each instalment a promise of its own that is kept or broken alone."""

    key: str
    currency: str | None
    total: Decimal | None
    instalments: tuple[PlannedInstalment, ...]
    invoice_numbers: tuple[str, ...]


@dataclass(frozen=True)
class CancelPromise:
    promise_id: int
    reason: str


@dataclass(frozen=True)
class CreateTask:
    key: str
    kind: str
    description: str
    invoice_numbers: tuple[str, ...] = ()
    due_date: date | None = None


@dataclass(frozen=True)
class RaiseAlert:
    kind: str  # frustration | bounce | sla_breach
    recipients: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SuppressAlert:
    """An alert that would repeat one the account already had inside the dedupe window."""

    kind: str
    existing_alert_id: int
    reason: str


@dataclass(frozen=True)
class MarkContact:
    email: str
    status: str  # bouncing
    reason: str


@dataclass(frozen=True)
class FlagAccount:
    flag: str
    source_key: str | None = None


@dataclass(frozen=True)
class LogNote:
    """Nothing changes but the audit trail: acknowledgements, ticket receipts, skipped duplicates."""

    note: str


@dataclass(frozen=True)
class SetMessageStatus:
    status: MessageStatus
    reason: str


Action = (
    OpenDispute
    | Pause
    | RecordPromise
    | RecordPlan
    | CancelPromise
    | CreateTask
    | RaiseAlert
    | SuppressAlert
    | MarkContact
    | FlagAccount
    | LogNote
    | SetMessageStatus
)


def describe(action: Action) -> dict[str, Any]:
    """A JSON-ready record of an action, stored with the routing decision and shown in the UI."""
    return {"type": type(action).__name__, **asdict(action)}
