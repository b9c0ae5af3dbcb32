"""Drafting fixtures: a small seeded ledger written straight into the store, and the private Dovecot."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from copilot import clock
from copilot.policy.model import Policy, default_policy, parse_policy
from copilot.store import Store, dumps
from tests.fixtures.dovecot import dovecot, imap_user  # noqa: F401

NOW = "2026-01-01T00:00:00+00:00"


class Ledger:
    """Builds customers, contacts and invoices with the fewest words a test needs."""

    def __init__(self, store: Store):
        self.store = store
        self._n = 0

    def customer(self, cid: str, segment: str = "mid-market", *, risky: bool = False, owner: str | None = "owner@ourco.example",
                 contacts: tuple[str, ...] | None = None, team: tuple[str, ...] = ()) -> str:  # fmt: skip
        db = self.store.db
        db["customers"].insert({"id": cid, "name": f"{cid} Ltd", "segment": segment, "currency": "USD",
                                "account_owner_email": owner, "account_team_emails": dumps(list(team)),
                                "risky": int(risky), "created_at": NOW, "updated_at": NOW})  # fmt: skip
        for email in contacts or (f"ap@{cid.lower()}.example",):
            db["contacts"].insert({"customer_id": cid, "email": email, "status": "ok", "created_at": NOW, "updated_at": NOW})
        return cid

    def invoice(self, cid: str, due: date, amount: str = "1200.00", *, open_balance: str | None = None,
                currency: str = "USD", number: str | None = None, link: bool = True) -> str:  # fmt: skip
        self._n += 1
        number = number or f"INV-{self._n:05d}"
        self.store.db["invoices"].insert({
            "number": number, "customer_id": cid, "issue_date": (due - timedelta(days=30)).isoformat(),
            "due_date": due.isoformat(), "amount": amount, "currency": currency,
            "open_balance": open_balance or amount, "status": "open" if open_balance in (None, amount) else "partially_paid",
            "payment_link": f"https://pay.example.test/{number}" if link else None, "po_number": None,
            "created_at": NOW, "updated_at": NOW,
        })  # fmt: skip
        return number

    def sent(self, cid: str, on: date, contact: str | None = None) -> int:
        """A reminder that went out on `on` (counts as the last touch and toward the caps)."""
        contact = contact or f"ap@{cid.lower()}.example"
        return self.store.db["drafts"].insert({
            "customer_id": cid, "contact_email": contact, "to_json": dumps([contact]), "cc_json": "[]", "kind": "reminder",
            "tier": 1, "segment": "mid-market", "subject": "s", "body": "b", "original_body": "b", "status": "sent",
            "plan_date": on.isoformat(), "sent_at": f"{on.isoformat()}T09:00:00+00:00", "facts_json": "{}",
            "invoice_numbers_json": "[]", "created_at": NOW, "updated_at": NOW,
        }).last_pk  # fmt: skip


@pytest.fixture
def ledger(store: Store) -> Ledger:
    return Ledger(store)


def policy_with(**changes: object) -> Policy:
    """The default policy with some top-level sections replaced (dicts merged one level deep)."""
    data = default_policy().model_dump(mode="json")
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    return parse_policy(data)


@pytest.fixture
def no_quiet_policy() -> Policy:
    """Every day is a working day, so a walk through the calendar sees each scheduled touch on its own day."""
    return policy_with(caps={"quiet_weekdays": [], "quiet_dates": [], "per_account_per_week": 7})


def pin(day: date) -> date:
    clock.pin(day)
    return day


def money(text: str) -> Decimal:
    return Decimal(text)
