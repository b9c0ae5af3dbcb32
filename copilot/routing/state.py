"""The facts routing decides on, read from the store in one place so `decide` can stay pure."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.config import Settings
from copilot.errors import NotFound
from copilot.ledger.aging import OPEN_STATUSES
from copilot.policy.cadence import days_past_due
from copilot.store import Store, loads

EXCERPT_CHARS = 600


@dataclass(frozen=True)
class InvoiceFact:
    number: str
    due_date: date
    amount: Decimal
    open_balance: Decimal
    currency: str
    days_past_due: int


@dataclass(frozen=True)
class CustomerFacts:
    id: str
    name: str
    segment: str
    arr: Decimal | None
    account_owner_email: str | None
    account_team_emails: tuple[str, ...]
    open_invoices: tuple[InvoiceFact, ...]

    def open_totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for inv in self.open_invoices:
            totals[inv.currency] = totals.get(inv.currency, Decimal("0")) + inv.open_balance
        return totals

    @property
    def currency(self) -> str | None:
        """The account's main currency, taken from its invoices (ARR carries none of its own)."""
        return self.open_invoices[0].currency if self.open_invoices else None


@dataclass(frozen=True)
class MessageFacts:
    id: int
    from_addr: str | None
    subject: str
    excerpt: str
    sent_at: str | None
    invoice_numbers: tuple[str, ...]  # what intake matched
    bounced_recipients: tuple[str, ...]
    auto_reply_kind: str | None  # from the intake header gate


@dataclass(frozen=True)
class DisputeFact:
    id: int
    reason: str | None
    invoice_numbers: tuple[str, ...]
    account_wide: bool


@dataclass(frozen=True)
class PromiseFact:
    id: int
    promised_date: date
    invoice_numbers: tuple[str, ...]


@dataclass(frozen=True)
class PauseFact:
    id: int
    reason: str
    scope: str
    invoice_number: str | None
    until: date | None


@dataclass(frozen=True)
class AlertFact:
    id: int
    kind: str
    created_at: str


@dataclass(frozen=True)
class AccountState:
    """Everything `decide` may look at for one reply on one day."""

    as_of: date
    message: MessageFacts
    customer: CustomerFacts | None
    open_disputes: tuple[DisputeFact, ...] = ()
    open_promises: tuple[PromiseFact, ...] = ()
    pauses: tuple[PauseFact, ...] = ()
    recent_alerts: tuple[AlertFact, ...] = ()  # inside the dedupe window, newest first
    contacts: dict[str, str] | None = None  # email -> status
    dispute_owner_email: str = "ar@localhost"
    collector_email: str = "ar@localhost"

    @property
    def matched_open_invoices(self) -> tuple[str, ...]:
        """Invoices the reply was matched to that are still open for this customer, in ledger order."""
        if self.customer is None:
            return ()
        wanted = set(self.message.invoice_numbers)
        return tuple(inv.number for inv in self.customer.open_invoices if inv.number in wanted)

    def recent_alert(self, kind: str) -> AlertFact | None:
        return next((a for a in self.recent_alerts if a.kind == kind), None)


def dispute_owner(settings: Settings) -> str:
    """The billing contact who owns dispute cases: the setting, else the collectors' mailbox."""
    return settings.dispute_owner_email or collector_address(settings)


def collector_address(settings: Settings) -> str:
    return settings.alerts.collector_email or settings.smtp.from_address


def load_customer(store: Store, customer_id: str, as_of: date) -> CustomerFacts:
    """A customer's profile and open invoices (oldest due first)."""
    row = next(store.db["customers"].rows_where("id = ?", [customer_id]), None)
    if row is None:
        raise NotFound(f"no customer with id {customer_id!r}")
    marks = ",".join("?" * len(OPEN_STATUSES))
    invoices = store.db["invoices"].rows_where(
        f"customer_id = ? and status in ({marks}) and cast(open_balance as real) > 0",
        [customer_id, *OPEN_STATUSES],
        order_by="due_date, number",
    )
    facts = tuple(
        InvoiceFact(
            number=inv["number"],
            due_date=date.fromisoformat(inv["due_date"]),
            amount=Decimal(inv["amount"]),
            open_balance=Decimal(inv["open_balance"]),
            currency=inv["currency"],
            days_past_due=days_past_due(date.fromisoformat(inv["due_date"]), as_of),
        )
        for inv in invoices
    )
    return CustomerFacts(
        id=row["id"],
        name=row["name"],
        segment=row["segment"],
        arr=Decimal(row["arr"]) if row["arr"] else None,
        account_owner_email=row["account_owner_email"],
        account_team_emails=tuple(loads(row["account_team_emails"], []) or []),
        open_invoices=facts,
    )


def load_message(store: Store, message_id: int) -> MessageFacts:
    row = next(store.db["messages"].rows_where("id = ?", [message_id]), None)
    if row is None:
        raise NotFound(f"no message with id {message_id}")
    text = (row["text_reply"] or row["text_full"] or "").strip()
    return MessageFacts(
        id=row["id"],
        from_addr=row["from_addr"],
        subject=row["subject"] or "",
        excerpt=text[:EXCERPT_CHARS],
        sent_at=row["sent_at"],
        invoice_numbers=tuple(loads(row["invoice_numbers_json"], []) or []),
        bounced_recipients=tuple(e.lower() for e in loads(row["bounced_recipients_json"], []) or []),
        auto_reply_kind=row["auto_reply_kind"],
    )


def load_account_state(
    store: Store, message_id: int, settings: Settings, as_of: date, now: datetime, dedupe_hours: int
) -> AccountState:
    """Read the facts for routing one reply: the message, its customer and the account's open state."""
    message = load_message(store, message_id)
    customer_id = store.db["messages"].get(message_id)["customer_id"]
    base = AccountState(
        as_of=as_of,
        message=message,
        customer=None,
        dispute_owner_email=dispute_owner(settings),
        collector_email=collector_address(settings),
    )
    if not customer_id:
        return base
    db = store.db
    disputes = tuple(
        DisputeFact(r["id"], r["reason"], tuple(loads(r["invoice_numbers_json"], []) or []), bool(r["account_wide"]))
        for r in db["disputes"].rows_where("customer_id = ? and status = 'open'", [customer_id], order_by="id")
    )
    promises = tuple(
        PromiseFact(r["id"], date.fromisoformat(r["promised_date"]), tuple(loads(r["invoice_numbers_json"], []) or []))
        for r in db["promises"].rows_where("customer_id = ? and status = 'open'", [customer_id], order_by="id")
    )
    pauses = tuple(
        PauseFact(
            r["id"],
            r["reason"],
            r["scope"],
            r["invoice_number"],
            date.fromisoformat(r["until"]) if r["until"] else None,
        )
        for r in db["pauses"].rows_where(
            "customer_id = ? and lifted_at is null and (until is null or until >= ?)",
            [customer_id, as_of.isoformat()],
            order_by="id",
        )
    )
    since = (now - timedelta(hours=dedupe_hours)).isoformat(timespec="seconds")
    alerts = tuple(
        AlertFact(r["id"], r["kind"], r["created_at"])
        for r in db["alerts"].rows_where(
            "customer_id = ? and created_at >= ? and status != 'cancelled'", [customer_id, since], order_by="id desc"
        )
    )
    contacts = {r["email"].lower(): r["status"] for r in db["contacts"].rows_where("customer_id = ?", [customer_id])}
    return AccountState(
        as_of=as_of,
        message=message,
        customer=load_customer(store, customer_id, as_of),
        open_disputes=disputes,
        open_promises=promises,
        pauses=pauses,
        recent_alerts=alerts if dedupe_hours > 0 else (),
        contacts=contacts,
        dispute_owner_email=base.dispute_owner_email,
        collector_email=base.collector_email,
    )
