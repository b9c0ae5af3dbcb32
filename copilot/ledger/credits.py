"""Credits agreed in a dispute, before the ERP shows them.

A dispute resolved with a credit note, a partial credit or a void lowers what we chase at
once: each affected invoice gets a `pending_credits` row, and the daily plan subtracts
pending credits from the open balance. When an invoice import shows the ERP has booked it
(the balance fell by at least the credit, or the invoice is void or paid), the credit is
marked confirmed and the ledger's own balance takes over.
"""

from decimal import Decimal

from copilot import clock
from copilot.errors import CopilotError
from copilot.store import Store

CREDIT_KINDS: tuple[str, ...] = ("credit_note", "partial_credit", "void")


def pending_by_invoice(store: Store, numbers: list[str] | None = None) -> dict[str, Decimal]:
    """Pending credit per invoice number (all invoices, or only those named)."""
    sql = "select invoice_number, amount from pending_credits where status = 'pending'"
    args: list = []
    if numbers is not None:
        if not numbers:
            return {}
        sql += f" and invoice_number in ({','.join('?' * len(numbers))})"
        args = list(numbers)
    out: dict[str, Decimal] = {}
    for number, amount in store.db.execute(sql, args):
        out[number] = out.get(number, Decimal("0")) + Decimal(amount)
    return out


def chase_balance(open_balance: Decimal, pending: Decimal) -> Decimal:
    """Pure: what is left to chase once pending credits are taken off (never below zero)."""
    return max(open_balance - pending, Decimal("0.00"))


def split_credit(amount: Decimal, invoices: list[dict]) -> list[tuple[dict, Decimal]]:
    """Pure: spread a credit over invoices oldest first, each up to its open balance; refuses more than they hold."""
    if amount <= 0:
        raise CopilotError(f"the credit must be a positive amount (got {amount})")
    total = sum((Decimal(i["open_balance"]) for i in invoices), Decimal("0"))
    if amount > total:
        raise CopilotError(f"a credit of {amount:,.2f} is more than the {total:,.2f} still open on the disputed invoices")
    out, left = [], amount
    for inv in sorted(invoices, key=lambda i: (i["due_date"], i["number"])):
        if left <= 0:
            break
        part = min(left, Decimal(inv["open_balance"]))
        if part > 0:
            out.append((inv, part))
            left -= part
    return out


def add_credits(store: Store, dispute: dict, kind: str, parts: list[tuple[dict, Decimal]], actor: str) -> list[int]:
    """Record pending credits for a resolved dispute; call inside the resolving transaction."""
    ids = []
    now = clock.now_iso()
    for inv, amount in parts:
        pk = store.db["pending_credits"].insert({
            "dispute_id": dispute["id"], "customer_id": dispute["customer_id"], "invoice_number": inv["number"],
            "amount": str(amount), "currency": inv["currency"], "kind": kind, "balance_before": inv["open_balance"],
            "status": "pending", "created_by": actor, "created_at": now}).last_pk  # fmt: skip
        store.audit(actor, "credit", pk, "pending", customer_id=dispute["customer_id"],
                    reason=f"{kind.replace('_', ' ')} agreed in dispute #{dispute['id']}; chased amount lowered until "
                           "the ERP shows it",
                    after={"invoice": inv["number"], "amount": str(amount), "currency": inv["currency"]})  # fmt: skip
        ids.append(pk)
    return ids


def confirm_credits(store: Store, number: str, erp_balance: Decimal, status: str, actor: str) -> int:
    """After an import: mark the invoice's pending credits confirmed once the ERP shows them. Returns how many."""
    rows = list(store.db["pending_credits"].rows_where("invoice_number = ? and status = 'pending'", [number],
                                                       order_by="id"))  # fmt: skip
    done = 0
    for row in rows:
        booked = status in ("void", "paid") or erp_balance <= Decimal(row["balance_before"]) - Decimal(row["amount"])
        if not booked:
            continue
        store.db["pending_credits"].update(row["id"], {"status": "confirmed", "confirmed_at": clock.now_iso()})
        store.audit(actor, "credit", row["id"], "confirmed", customer_id=row["customer_id"],
                    reason=f"the ERP import shows invoice {number} at {erp_balance:,.2f} ({status})",
                    before={"status": "pending"}, after={"status": "confirmed"})  # fmt: skip
        done += 1
    return done
