"""`copilot quarantine`: list the messages intake could not process, with their errors."""

import click

from copilot.cli.app import App, main, pass_app


@main.command("quarantine")
@click.option("--all", "show_all", is_flag=True, help="Include dismissed and reprocessed entries.")
@pass_app
def quarantine(app: App, show_all: bool) -> None:
    """Show quarantined mail: where it is in the mailbox, who sent it and why it failed."""
    where = None if show_all else "status = 'open'"
    rows = list(app.store.db["quarantine"].rows_where(where, order_by="id", select="id, mailbox, folder, uid, from_addr, subject, size, error, status"))
    if not rows:
        click.echo("No quarantined mail.")
        return
    for r in rows:
        click.echo(f"#{r['id']} [{r['status']}] {r['mailbox']}/{r['folder']} uid {r['uid']}  {r['size']:,} bytes")
        click.echo(f"    from {r['from_addr'] or '?'}: {r['subject'] or '(no subject)'}")
        click.echo(f"    error: {r['error']}")
