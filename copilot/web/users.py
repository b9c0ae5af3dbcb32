"""People who use the web UI: usernames, argon2 password hashes, roles and server-side sessions."""

import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache

from pwdlib import PasswordHash

from copilot import clock
from copilot.errors import CopilotError, NotFound
from copilot.store import Store

ROLES: tuple[str, ...] = ("collector", "account_team", "admin")
MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SESSION_LIFETIME = timedelta(hours=12)  # one working day
# Each argon2 hash takes about 64 MiB; this many at once bounds sign-in memory whatever the traffic.
MAX_CONCURRENT_HASHES = 4


class UserError(CopilotError):
    """A user could not be created or changed (bad name, role, password or a duplicate)."""


class HashSlots:
    """A counting gate around password hashing, with the numbers a caller (or a test) can watch."""

    def __init__(self, limit: int):
        self.limit = limit
        self._gate = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self.busy = 0
        self.waiting = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            self.waiting += 1
        self._gate.acquire()
        with self._lock:
            self.waiting -= 1
            self.busy += 1
        try:
            yield
        finally:
            with self._lock:
                self.busy -= 1
            self._gate.release()


HASH_SLOTS = HashSlots(MAX_CONCURRENT_HASHES)


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def _verify(password: str, hashed: str) -> bool:
    with HASH_SLOTS.slot():
        return _hasher().verify(password, hashed)


@lru_cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so a miss costs as long as a wrong password.
    return hash_password("not-a-real-password")


def hash_password(password: str) -> str:
    with HASH_SLOTS.slot():
        return _hasher().hash(password)


def check_new_user(username: str, role: str, password: str, email: str | None = None) -> None:
    """Raise UserError naming the first thing wrong with a new user's details."""
    if not _USERNAME.match(username):
        raise UserError(f"username {username!r} must be 2-64 lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if email is not None and ("@" not in email or " " in email.strip()):
        raise UserError(f"{email!r} is not an email address")


def create_user(store: Store, username: str, password: str, role: str, *, email: str | None = None,
                actor: str = "cli") -> int:  # fmt: skip
    """Add a user with a hashed password; the audit log records who added them."""
    username = username.strip().lower()
    email = email.strip().lower() if email else None
    check_new_user(username, role, password, email)
    table = store.db["users"]
    if next(table.rows_where("username = ?", [username]), None):
        raise UserError(f"a user named {username!r} already exists")
    row = {"username": username, "email": email, "password_hash": hash_password(password), "role": role,
           "active": 1, "created_at": clock.now_iso()}  # fmt: skip
    with store.transaction():
        pk = table.insert(row).last_pk
        store.audit(actor, "user", pk, "created", after={"username": username, "role": role, "email": email})
    return pk


def authenticate(store: Store, username: str, password: str) -> dict | None:
    """The active user with this username and password, else None."""
    row = next(store.db["users"].rows_where("username = ?", [username.strip().lower()]), None)
    if row is None or not row["active"]:
        _verify(password, _dummy_hash())
        return None
    return row if _verify(password, row["password_hash"]) else None


def _find(store: Store, username: str) -> dict:
    row = next(store.db["users"].rows_where("username = ?", [username.strip().lower()]), None)
    if row is None:
        raise NotFound(f"no user named {username.strip().lower()!r}")
    return row


def _revoke_all(store: Store, user_id: int) -> int:
    """End every session of this user; call inside the transaction that changes the user."""
    return store.db.execute("delete from web_sessions where user_id = ?", [user_id]).rowcount


def set_password(store: Store, username: str, password: str, *, actor: str = "cli") -> int:
    """Give a user a new password; every session they had ends. Returns how many sessions ended."""
    row = _find(store, username)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    hashed = hash_password(password)
    with store.transaction():
        store.db["users"].update(row["id"], {"password_hash": hashed})
        ended = _revoke_all(store, row["id"])
        store.audit(actor, "user", row["id"], "password_changed", after={"sessions_ended": ended})
    return ended


def set_active(store: Store, username: str, active: bool, *, actor: str = "cli", reason: str | None = None) -> int:
    """Enable or disable a user; disabling ends every session at once. Returns how many sessions ended."""
    row = _find(store, username)
    with store.transaction():
        store.db["users"].update(row["id"], {"active": int(active)})
        ended = 0 if active else _revoke_all(store, row["id"])
        store.audit(actor, "user", row["id"], "enabled" if active else "disabled", reason=reason,
                    before={"active": bool(row["active"])}, after={"active": active, "sessions_ended": ended})  # fmt: skip
    return ended


def _session_key(token: str) -> str:
    # Only a hash of the cookie's token is stored, so a copy of the database cannot sign anyone in.
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(store: Store, user: dict) -> str:
    """Record a new session for this user and return the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with store.transaction():
        store.db.execute("delete from web_sessions where expires_at <= ?", [now.isoformat(timespec="seconds")])
        store.db["web_sessions"].insert({"id": _session_key(token), "user_id": user["id"],
                                         "created_at": now.isoformat(timespec="seconds"),
                                         "expires_at": (now + SESSION_LIFETIME).isoformat(timespec="seconds")})  # fmt: skip
        store.audit(f"user:{user['username']}", "user", user["id"], "signed_in")
    return token


def session_user(store: Store, token: str) -> dict | None:
    """The active user a live session token belongs to, else None (one indexed lookup)."""
    row = store.db.execute("""select u.id, u.username, u.email, u.role from web_sessions s join users u on u.id = s.user_id
                              where s.id = ? and s.expires_at > ? and u.active = 1""",
                           [_session_key(token), clock.now_iso()]).fetchone()  # fmt: skip
    return None if row is None else dict(zip(("id", "username", "email", "role"), row))


def end_session(store: Store, token: str) -> None:
    """Sign out: the session is deleted on the server, so a saved copy of the cookie is worthless."""
    key = _session_key(token)
    row = store.db.execute("select s.user_id, u.username from web_sessions s join users u on u.id = s.user_id "
                           "where s.id = ?", [key]).fetchone()  # fmt: skip
    if row is None:
        return
    with store.transaction():
        store.db.execute("delete from web_sessions where id = ?", [key])
        store.audit(f"user:{row[1]}", "user", row[0], "signed_out")


def get_user(store: Store, user_id: int) -> dict:
    row = next(store.db["users"].rows_where("id = ?", [user_id]), None)
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return row


def list_users(store: Store) -> list[dict]:
    return list(store.db["users"].rows_where(select="id, username, email, role, active, created_at", order_by="username"))
