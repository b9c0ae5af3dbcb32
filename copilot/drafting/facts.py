"""The ledger facts a draft may state: the only amounts, invoice numbers and dates it is allowed to mention.

Built once when a draft is planned and stored with it (`drafts.facts_json`), so the
guardrails can re-check an edited or regenerated text against the same facts.
"""

from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from copilot.config import Settings
from copilot.policy.model import Policy

KINDS: tuple[str, ...] = ("reminder", "pre_due", "broken_promise", "request_reply", "dispute_reply")
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "nl")  # languages our email templates are written in


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InvoiceFact(_Fact):
    number: str
    currency: str
    amount: Decimal
    open_balance: Decimal
    issue_date: date | None = None
    due_date: date
    days_overdue: int
    payment_link: str | None = None
    po_number: str | None = None


class PromiseFact(_Fact):
    promised_date: date | None = None
    amount: Decimal | None = None
    currency: str | None = None


class RequestFact(_Fact):
    kind: str | None = None  # w9 | invoice_copy | bank_details | po | portal | statement | contact_change | other
    subject: str | None = None
    received_on: date | None = None


class DisputeFact(_Fact):
    """How a dispute was resolved, for the reply that tells the customer."""

    outcome: str  # credit_note | partial_credit | void | stands
    reason: str | None = None
    credit: Decimal | None = None  # the amount credited (credit note, partial credit, void)
    currency: str | None = None
    remaining: Decimal | None = None  # what is still to pay on the disputed invoices afterwards


class SenderFact(_Fact):
    name: str
    title: str | None = None
    company: str | None = None
    email: str
    senior: bool = False


class DraftFacts(_Fact):
    kind: str
    tier: int  # 0 for notes before the due date
    segment: str
    as_of: date
    customer_id: str
    customer_name: str
    contact_name: str | None = None
    contact_email: str
    invoices: tuple[InvoiceFact, ...]
    sender: SenderFact
    suspension_date: date | None = None
    pay_by_date: date | None = None
    offer_payment_plan: bool = False
    promise: PromiseFact | None = None
    request: RequestFact | None = None
    dispute: DisputeFact | None = None
    language: str = "en"  # en | de | fr | es | nl: the template set the text was written from

    def totals(self) -> dict[str, Decimal]:
        """Open balance per currency, in the order the currencies first appear."""
        out: dict[str, Decimal] = {}
        for inv in self.invoices:
            out[inv.currency] = out.get(inv.currency, Decimal("0")) + inv.open_balance
        return out

    def allowed_amounts(self) -> set[tuple[str | None, Decimal]]:
        """(currency, amount) pairs the text may state."""
        pairs: set[tuple[str | None, Decimal]] = set()
        for inv in self.invoices:
            pairs |= {(inv.currency, inv.open_balance), (inv.currency, inv.amount)}
            if inv.amount != inv.open_balance:
                pairs.add((inv.currency, inv.amount - inv.open_balance))  # the part already paid
        pairs |= {(cur, total) for cur, total in self.totals().items()}
        if self.promise and self.promise.amount is not None:
            pairs.add((self.promise.currency, self.promise.amount))
        if self.dispute and self.dispute.currency:
            for value in (self.dispute.credit, self.dispute.remaining):
                if value is not None:
                    pairs.add((self.dispute.currency, value))
        return pairs

    def allowed_dates(self) -> set[date]:
        dates = {self.as_of}
        for inv in self.invoices:
            dates.add(inv.due_date)
            if inv.issue_date:
                dates.add(inv.issue_date)
        for extra in (self.suspension_date, self.pay_by_date):
            if extra:
                dates.add(extra)
        if self.promise and self.promise.promised_date:
            dates.add(self.promise.promised_date)
        if self.request and self.request.received_on:
            dates.add(self.request.received_on)
        return dates

    @property
    def oldest_days(self) -> int:
        """Days past due of the most overdue listed invoice (0 or less when none is overdue)."""
        return max((inv.days_overdue for inv in self.invoices), default=0)

    @property
    def youngest_days(self) -> int:
        """Days past due of the least overdue listed invoice: a claim about "all of them" must hold for this one."""
        return min((inv.days_overdue for inv in self.invoices), default=0)

    def all_overdue_more_than(self, *, days: int = 0, months: int = 0) -> bool:
        """True when every listed invoice is more than this many days, or calendar months, past its due date."""
        if not self.invoices:
            return False
        return all(self.as_of > add_months(inv.due_date, months) + timedelta(days=days) for inv in self.invoices)

    def invoice_numbers(self) -> list[str]:
        return [inv.number for inv in self.invoices]

    def payment_links(self) -> list[str]:
        return [inv.payment_link for inv in self.invoices if inv.payment_link]


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or the month's last day when it is shorter (31 Jan + 1 = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def sender_for(tier: int, settings: Settings) -> SenderFact:
    """Tiers 1-2 come from the collector; Tiers 3-4 from a senior AR manager."""
    d = settings.drafting
    if tier >= 3:
        return SenderFact(name=d.senior_name, title=d.senior_title, company=d.company_name,
                          email=d.senior_email or settings.smtp.from_address, senior=True)  # fmt: skip
    return SenderFact(name=d.collector_name, title=d.collector_title, company=d.company_name,
                      email=settings.smtp.from_address)  # fmt: skip


def invoice_fact(row: dict, as_of: date) -> InvoiceFact:
    """An invoice row from the ledger as a fact."""
    due = date.fromisoformat(row["due_date"])
    return InvoiceFact(
        number=row["number"],
        currency=row["currency"],
        amount=Decimal(row["amount"]),
        open_balance=Decimal(row["open_balance"]),
        issue_date=date.fromisoformat(row["issue_date"]) if row.get("issue_date") else None,
        due_date=due,
        days_overdue=(as_of - due).days,
        payment_link=row.get("payment_link"),
        po_number=row.get("po_number"),
    )


def build_facts(
    *,
    kind: str,
    tier: int,
    customer: dict,
    contact: dict,
    invoices: list[dict],
    as_of: date,
    policy: Policy,
    settings: Settings,
    promise: PromiseFact | None = None,
    request: RequestFact | None = None,
    dispute: DisputeFact | None = None,
    language: str = "en",
) -> DraftFacts:
    """Collect what one draft may say, from ledger rows and the policy."""
    if kind not in KINDS:
        raise ValueError(f"unknown draft kind {kind!r}")
    p = policy.drafting
    facts = [invoice_fact(r, as_of) for r in sorted(invoices, key=lambda r: (r["due_date"], r["number"]))]
    return DraftFacts(
        kind=kind,
        tier=tier,
        segment=customer["segment"],
        as_of=as_of,
        customer_id=customer["id"],
        customer_name=customer["name"],
        contact_name=contact.get("name"),
        contact_email=contact["email"],
        invoices=tuple(facts),
        sender=sender_for(tier, settings),
        suspension_date=as_of + timedelta(days=p.suspension_notice_days) if tier >= 4 else None,
        pay_by_date=as_of + timedelta(days=p.pay_by_days) if tier == 3 else None,
        offer_payment_plan=tier >= p.payment_plan_from_tier,
        promise=promise,
        request=request,
        dispute=dispute,
        language=language if language in LANGUAGES else "en",
    )
