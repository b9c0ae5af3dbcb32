"""People who use the web UI: usernames, argon2 password hashes and roles."""

import re
from functools import lru_cache

from pwdlib import PasswordHash

from copilot import clock
from copilot.errors import CopilotError, NotFound
from copilot.store import Store

ROLES: tuple[str, ...] = ("collector", "account_team", "admin")
MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class UserError(CopilotError):
    """A user could not be created or changed (bad name, role, password or a duplicate)."""


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so a miss costs as long as a wrong password.
    return _hasher().hash("not-a-real-password")


def hash_password(password: str) -> str:
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
        _hasher().verify(password, _dummy_hash())
        return None
    return row if _hasher().verify(password, row["password_hash"]) else None


def get_user(store: Store, user_id: int) -> dict:
    row = next(store.db["users"].rows_where("id = ?", [user_id]), None)
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return row


def list_users(store: Store) -> list[dict]:
    return list(store.db["users"].rows_where(select="id, username, email, role, active, created_at", order_by="username"))
