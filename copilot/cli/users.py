"""`copilot users`: create, list, re-password, disable and enable the people who sign in to the web UI."""

import click

from copilot.cli.app import App, main, pass_app
from copilot.web.users import ROLES, create_user, list_users, set_active, set_password


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


@users.command("passwd")
@click.argument("username")
@click.password_option("--password", prompt="New password", confirmation_prompt=True,
                       help="Prompted for when not given (at least 8 characters).")  # fmt: skip
@pass_app
def passwd(app: App, username: str, password: str) -> None:
    """Set a new password; every web session the user had ends at once."""
    ended = set_password(app.store, username, password, actor="cli")
    click.echo(f"Password changed for {username.strip().lower()}; {ended} session(s) ended.")


@users.command("disable")
@click.argument("username")
@click.option("--reason", help="Why, for the audit log.")
@pass_app
def disable(app: App, username: str, reason: str | None) -> None:
    """Stop a user signing in; their open web sessions end at once."""
    ended = set_active(app.store, username, False, actor="cli", reason=reason)
    click.echo(f"Disabled {username.strip().lower()}; {ended} session(s) ended.")


@users.command("enable")
@click.argument("username")
@pass_app
def enable(app: App, username: str) -> None:
    """Let a disabled user sign in again."""
    set_active(app.store, username, True, actor="cli")
    click.echo(f"Enabled {username.strip().lower()}.")
