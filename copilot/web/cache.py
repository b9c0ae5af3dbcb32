"""Results of expensive read queries, kept until the data changes.

Every state change in the product writes an audit event inside its own transaction,
so the highest audit id is a cheap version number for the whole database.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import TypeVar

from copilot.store import Store

T = TypeVar("T")
MAX_ENTRIES = 32
_entries: "OrderedDict[tuple, tuple[int, object]]" = OrderedDict()
_lock = Lock()


def store_version(store: Store) -> int:
    """Changes whenever the data does (the newest audit event's id)."""
    return store.db.execute("select coalesce(max(id), 0) from audit_events").fetchone()[0]


_refreshing: set[tuple] = set()
_refreshed_at: dict[tuple, float] = {}
# While the data keeps changing, recompute a stale result at most this often: the work runs in the
# server's own process, and back-to-back recomputation would slow every other request.
REFRESH_INTERVAL_SECONDS = 5.0


def cached_or_stale(store: Store, key: Hashable, compute: Callable[[Store], T]) -> tuple[T, bool]:
    """Like `cached`, but when the data has changed, answer at once with the earlier result and recompute it
    in a background thread on its own connection. Returns (value, fresh). The first call computes in line."""
    if store.path == ":memory:":
        return compute(store), True
    full_key = (store.path, key)
    version = store_version(store)
    with _lock:
        hit = _entries.get(full_key)
        if hit is not None and hit[0] == version:
            return hit[1], True  # type: ignore[return-value]
        start = (hit is not None and full_key not in _refreshing
                 and time.monotonic() - _refreshed_at.get(full_key, 0.0) >= REFRESH_INTERVAL_SECONDS)  # fmt: skip
        if start:
            _refreshing.add(full_key)
    if hit is None:
        value = compute(store)
        _put(full_key, version, value)
        return value, True
    if start:
        threading.Thread(target=_refresh, args=(store.path, full_key, compute), daemon=True).start()
    return hit[1], False  # type: ignore[return-value]


def _put(full_key: tuple, version: int, value: object) -> None:
    with _lock:
        _entries[full_key] = (version, value)
        _entries.move_to_end(full_key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def _refresh(path: str, full_key: tuple, compute: Callable[[Store], object]) -> None:
    try:
        with Store.open(path) as store:
            version = store_version(store)
            _put(full_key, version, compute(store))
    finally:
        with _lock:
            _refreshing.discard(full_key)
            _refreshed_at[full_key] = time.monotonic()
