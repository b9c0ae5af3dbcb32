"""Typed FastAPI dependencies: settings, policy, one store per request, the signed-in user and role checks."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from copilot.config import Settings
from copilot.policy.model import Policy
from copilot.store import Store
from copilot.web.scope import AccountScope
from copilot.web.users import session_user

SESSION_KEY = "sid"  # the server-side session's token inside the signed cookie


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


class Forbidden(Exception):
    """Signed in, but the user's role may not do this."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str | None
    role: str

    @property
    def actor(self) -> str:
        """How this user appears in the audit log."""
        return f"user:{self.username}"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_policy(request: Request) -> Policy:
    return request.app.state.policy


def get_store(settings: Annotated[Settings, Depends(get_settings)]) -> Iterator[Store]:
    """Open the database for this request and close it afterwards."""
    store = Store.open(settings.db_path)
    try:
        yield store
    finally:
        store.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
StoreDep = Annotated[Store, Depends(get_store)]


def current_user(request: Request, store: StoreDep) -> User:
    """The signed-in, still-active user of a live server-side session; anything else means log in again."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        raise LoginRequired()
    row = session_user(store, token)
    if row is None:
        request.session.clear()
        raise LoginRequired()
    user = User(row["id"], row["username"], row["email"], row["role"])
    request.state.user = user  # lets every page show who is signed in
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def account_scope(user: CurrentUser) -> AccountScope:
    """The accounts this user may read (see copilot.web.scope); every list query and record page takes it."""
    return AccountScope.for_role(user.role, user.email)


Scope = Annotated[AccountScope, Depends(account_scope)]


def require_role(*roles: str) -> Callable[[User], User]:
    """A dependency that lets only these roles through (admins always pass)."""
    allowed = frozenset(roles) | {"admin"}

    def check(request: Request, user: CurrentUser) -> User:
        request.state.user = user
        if user.role not in allowed:
            raise Forbidden(f"{user.role.replace('_', ' ')} users cannot open this page")
        return user

    return check


Collector = Annotated[User, Depends(require_role("collector"))]
AccountTeam = Annotated[User, Depends(require_role("account_team"))]
Admin = Annotated[User, Depends(require_role())]
