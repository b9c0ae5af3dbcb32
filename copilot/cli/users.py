"""`copilot users`: create and list the people who sign in to the web UI."""

import click

from copilot.cli.app import App, main, pass_app
from copilot.web.users import ROLES, create_user, list_users


@main.group("users")
def users() -> None:
    """Manage web UI users."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--email", help="Their email; account-team users see alerts for accounts that name it.")
@click.password_option("--password", prompt="Password", confirmation_prompt=True,
                       help="Prompted for when not given (at least 8 characters).")  # fmt: skip
@pass_app
def add(app: App, username: str, role: str, email: str | None, password: str) -> None:
    """Add a user who can sign in to the web UI."""
    create_user(app.store, username, password, role, email=email, actor="cli")
    click.echo(f"Added {username.strip().lower()} ({role}).")


@users.command("list")
@pass_app
def list_(app: App) -> None:
    """List users and their roles."""
    rows = list_users(app.store)
    if not rows:
        click.echo("No users yet. Add one with: copilot users add NAME --role collector")
    for row in rows:
        state = "" if row["active"] else "  (disabled)"
        click.echo(f"{row['username']:<20} {row['role']:<13} {row['email'] or '-'}{state}")
