"""The SQLite store: opens the database, applies migrations, runs transactions, writes audit events."""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlite_utils

from copilot import clock
from copilot.errors import StoreError
from copilot.migrations import MIGRATIONS


class _Connection(sqlite3.Connection):
    """A connection whose `with conn:` blocks do not commit inside an open Store transaction.

    sqlite-utils wraps many writes in `with db.conn:`, which would otherwise commit
    half of a larger unit of work.
    """

    tx_depth = 0

    def __exit__(self, exc_type, exc, tb):  # type: ignore[no-untyped-def]
        if self.tx_depth:
            return False
        return super().__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        if not self.tx_depth:
            super().commit()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    """JSON-encode for a *_json column (Decimal and dates become strings)."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    return default if text in (None, "") else json.loads(text)


class Store:
    """One open database. Use `Store.open(path)` or `Store.memory()`."""

    def __init__(self, conn: _Connection, path: str):
        self.conn = conn
        self.path = path
        self.db = sqlite_utils.Database(conn)
        self._migrate()

    @classmethod
    def open(cls, path: str | Path) -> "Store":
        path = str(path)
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, factory=_Connection, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            if path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database at {path}: {exc}") from None
        return cls(conn, path)

    @classmethod
    def memory(cls) -> "Store":
        return cls.open(":memory:")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------
    def _migrate(self) -> None:
        table = self.db["_migrations"]
        if not table.exists():
            table.create({"name": str, "applied_at": str}, pk="name")
        done = {row["name"] for row in table.rows}
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                fn(self.db)
                table.insert({"name": name, "applied_at": clock.now_iso()})

    def applied_migrations(self) -> list[str]:
        return [row["name"] for row in self.db["_migrations"].rows_where(order_by="rowid")]

    # -- transactions -------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All writes inside commit together or not at all. Nested calls use savepoints."""
        conn = self.conn
        depth = conn.tx_depth
        savepoint = f"sp{depth}"
        conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        conn.tx_depth = depth + 1
        try:
            yield self
        except BaseException:
            conn.tx_depth = depth
            if depth == 0:
                conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO {savepoint}")
                conn.execute(f"RELEASE {savepoint}")
            raise
        conn.tx_depth = depth
        conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")

    # -- audit --------------------------------------------------------------
    def audit(
        self,
        actor: str,
        entity_type: str,
        entity_id: Any,
        action: str,
        *,
        reason: str | None = None,
        before: Any = None,
        after: Any = None,
        customer_id: str | None = None,
    ) -> int:
        """Record who changed what, when and why. Call it inside the same transaction as the change."""
        row = {
            "at": clock.now_iso(),
            "actor": actor,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "customer_id": customer_id,
            "action": action,
            "reason": reason,
            "before_json": None if before is None else dumps(before),
            "after_json": None if after is None else dumps(after),
        }
        return self.insert("audit_events", row)

    def insert(self, table: str, row: dict[str, Any]) -> int:
        """Insert one row with plain SQL and return its rowid.

        For hot paths: sqlite-utils' insert re-reads the table's schema on every call, which
        cost more than the insert itself in the intake benchmark.
        """
        sql = f"insert into [{table}] ({', '.join(f'[{k}]' for k in row)}) values ({', '.join('?' * len(row))})"
        return self.conn.execute(sql, list(row.values())).lastrowid

    def audit_events(self, entity_type: str | None = None, entity_id: Any = None) -> list[dict]:
        where, args = [], []
        if entity_type:
            where.append("entity_type = ?")
            args.append(entity_type)
        if entity_id is not None:
            where.append("entity_id = ?")
            args.append(str(entity_id))
        return list(self.db["audit_events"].rows_where(" and ".join(where) or None, args, order_by="id"))


def open_store(settings: Any) -> Store:
    """Open the store named by settings.db_path."""
    return Store.open(settings.db_path)
