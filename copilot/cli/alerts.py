"""`copilot alerts`: see alerts that are waiting, failed or unread, and retry or acknowledge them."""

import click

from copilot.cli.app import App, main, pass_app
from copilot.routing.alerts import acknowledge_alert, open_alerts, retry_alert
from copilot.store import loads


@main.group("alerts")
def alerts_group() -> None:
    """Alerts to account teams and collectors (delivered by `copilot tick`)."""


@alerts_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include acknowledged and cancelled alerts.")
@pass_app
def list_alerts(app: App, show_all: bool) -> None:
    """List alerts not yet delivered, failed, or delivered but not acknowledged."""
    rows = list(app.store.db["alerts"].rows_where(order_by="id desc")) if show_all else open_alerts(app.store)
    if not rows:
        click.echo("No open alerts.")
        return
    for row in rows:
        to = ", ".join(loads(row["recipients_json"], []) or [])
        colour = {"failed": "red", "pending": "yellow"}.get(row["status"])
        click.secho(f"#{row['id']:<4} {row['status']:<12} {row['kind']:<12} {row['customer_id']:<8} to {to}", fg=colour)
        click.echo(f"      {row['subject']}")
        if row["last_error"]:
            click.echo(f"      attempt {row['attempts']}: {row['last_error']}")


@alerts_group.command("retry")
@click.argument("alert_id", type=int)
@click.option("--by", "user", default="cli", show_default=True, help="Who is retrying (for the audit trail).")
@pass_app
def retry(app: App, alert_id: int, user: str) -> None:
    """Queue a failed alert again; the next `copilot tick` delivers it."""
    retry_alert(app.store, alert_id, user)
    click.echo(f"Alert #{alert_id} queued again.")


@alerts_group.command("ack")
@click.argument("alert_id", type=int)
@click.option("--by", "user", default="cli", show_default=True, help="Who has seen it (for the audit trail).")
@pass_app
def ack(app: App, alert_id: int, user: str) -> None:
    """Mark an alert as seen and handled."""
    acknowledge_alert(app.store, alert_id, user)
    click.echo(f"Alert #{alert_id} acknowledged.")
