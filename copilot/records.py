"""Changing a row and recording the change in the audit trail, as one step."""

from typing import Any

from copilot.errors import NotFound
from copilot.store import Store


def update_audited(
    store: Store,
    table: str,
    pk: Any,
    change: dict[str, Any],
    *,
    actor: str,
    entity: str,
    action: str,
    reason: str | None = None,
) -> dict:
    """Apply `change` to one row and audit it (before = the changed fields' old values); returns the old row."""
    row = next(store.db[table].rows_where(f"{store.db[table].pks[0]} = ?", [pk]), None)
    if row is None:
        raise NotFound(f"no {entity} with id {pk}")
    customer_id = row["id"] if table == "customers" else row.get("customer_id")
    before = {k: row.get(k) for k in change}
    with store.transaction():
        store.db[table].update(pk, change)
        store.audit(actor, entity, pk, action, reason=reason, before=before, after=change, customer_id=customer_id)
    return row
