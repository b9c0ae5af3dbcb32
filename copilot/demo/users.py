"""Demo step: one user per role, with fresh passwords printed for this run."""

import secrets

from copilot.demo.runner import DemoResult, step
from copilot.policy.model import Policy
from copilot.store import Store
from copilot.web.users import create_user

# Dana owns Northwind Harbor and two other demo accounts, so her view has alerts to acknowledge.
DEMO_USERS = (
    ("collector", "collector", "ar@ourco.example"),
    ("dana", "account_team", "dana.reyes@ourco.example"),
    ("admin", "admin", None),
)


@step("users")
def demo_users(store: Store, policy: Policy, result: DemoResult) -> None:
    for username, role, email in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        create_user(store, username, password, role, email=email, actor="demo")
        result.notes.append(f"login: {username} / {password}  ({role.replace('_', ' ')})")
