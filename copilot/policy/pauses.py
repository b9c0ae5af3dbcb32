"""Pauses on dunning: who or what is on hold, until when, and why.

A pause covers one invoice, or the whole account when `invoice_number` is None.
Scope `dunning` stops every reminder; scope `auto_send` stops only automatic sends.
A pause with no `until` lasts until a person lifts it.
"""

from datetime import date

from copilot import clock
from copilot.errors import InvalidTransition, NotFound
from copilot.store import Store


def active_pauses(store: Store, customer_id: str, as_of: date, scope: str | None = None) -> list[dict]:
    """Pauses in force for a customer on `as_of` (account-wide and per-invoice)."""
    sql = "customer_id = ? and lifted_at is null and (until is null or until >= ?)"
    args: list = [customer_id, as_of.isoformat()]
    if scope:
        sql += " and scope = ?"
        args.append(scope)
    return list(store.db["pauses"].rows_where(sql, args, order_by="id"))


def is_paused(pauses: list[dict], invoice_number: str | None = None, scope: str = "dunning") -> bool:
    """Pure: does this set of pauses hold the account (or the given invoice) for `scope`?"""
    return pause_for(pauses, invoice_number, scope) is not None


def pause_for(pauses: list[dict], invoice_number: str | None = None, scope: str = "dunning") -> dict | None:
    """Pure: the first pause that holds the account (or the given invoice) for `scope`, or None."""
    for p in pauses:
        if p["scope"] != scope and not (scope == "auto_send" and p["scope"] == "dunning"):
            continue
        if p["invoice_number"] is None or p["invoice_number"] == invoice_number:
            return p
    return None


def describe_pause(pause: dict) -> str:
    """'disputed (INV-1)': a pause in the words a collector reads."""
    words = {"dispute": "disputed", "promise": "promised to pay", "paid": "said to be paid",
             "request": "waiting on the customer's request", "frustration": "customer frustrated",
             "snooze": "contact away (auto-reply)", "manual": "paused by a person"}  # fmt: skip
    what = words.get(pause["reason"], pause["reason"])
    where = pause["invoice_number"] or "the whole account"
    return f"{what} ({where}, pause #{pause['id']})"


def add_pause(
    store: Store,
    customer_id: str,
    reason: str,
    actor: str,
    *,
    invoice_number: str | None = None,
    until: date | None = None,
    scope: str = "dunning",
    source_type: str | None = None,
    source_id: str | int | None = None,
    note: str | None = None,
) -> int:
    row = {
        "customer_id": customer_id,
        "invoice_number": invoice_number,
        "scope": scope,
        "reason": reason,
        "source_type": source_type,
        "source_id": None if source_id is None else str(source_id),
        "until": until.isoformat() if until else None,
        "note": note,
        "created_by": actor,
        "created_at": clock.now_iso(),
    }
    from copilot.drafting.stale import mark_stale  # drafting imports this module; a top-level import would cycle

    with store.transaction():
        pk = store.db["pauses"].insert(row).last_pk
        store.audit(actor, "pause", pk, "paused", reason=note or reason, after=row, customer_id=customer_id)
        if scope == "dunning" or reason == "frustration":
            mark_stale(store, customer_id, f"paused after planning: {describe_pause({**row, 'id': pk})}", actor)
    return pk


def lift_pause(store: Store, pause_id: int, actor: str, reason: str) -> None:
    table = store.db["pauses"]
    try:
        row = table.get(pause_id)
    except Exception:  # sqlite_utils.db.NotFoundError
        raise NotFound(f"no pause with id {pause_id}") from None
    if row["lifted_at"]:
        raise InvalidTransition(f"pause {pause_id} was already lifted")
    change = {"lifted_at": clock.now_iso(), "lifted_by": actor, "lift_reason": reason}
    with store.transaction():
        table.update(pause_id, change)
        store.audit(actor, "pause", pause_id, "lifted", reason=reason, before={"lifted_at": None}, after=change,
                    customer_id=row["customer_id"])  # fmt: skip


def lift_pauses_from(store: Store, source_type: str, source_id: str | int, actor: str, reason: str) -> int:
    """Lift every open pause created by one source (a dispute, a promise, a task); returns how many."""
    rows = list(store.db["pauses"].rows_where("source_type = ? and source_id = ? and lifted_at is null",
                                              [source_type, str(source_id)]))  # fmt: skip
    for row in rows:
        lift_pause(store, row["id"], actor, reason)
    return len(rows)
