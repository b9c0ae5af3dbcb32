"""`copilot quarantine`: list the messages intake could not process, dismiss them, or have them read again."""

from dataclasses import replace
from pathlib import Path

import click
from click_default_group import DefaultGroup

from copilot.cli.app import App, main, pass_app
from copilot.cli.poll import triage_step
from copilot.errors import CopilotError
from copilot.mail import quarantine as q
from copilot.mail.intake import Source, context_from_settings, imap_sources
from copilot.mail.mailbox.folder import FolderMailbox
from copilot.wording import neutralise_bidi


@main.group("quarantine", cls=DefaultGroup, default="list", default_if_no_args=True)
def quarantine_group() -> None:
    """Mail intake could not store: it stays in the mailbox until dismissed or read again."""


@quarantine_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include dismissed and reprocessed entries.")
@pass_app
def list_quarantine(app: App, show_all: bool) -> None:
    """Show quarantined mail: where it is in the mailbox, who sent it and why it failed."""
    where = None if show_all else "status = 'open'"
    rows = list(app.store.db["quarantine"].rows_where(where, order_by="id", select="id, mailbox, folder, uid, from_addr, subject, size, error, status"))
    if not rows:
        click.echo("No quarantined mail.")
        return
    for r in rows:
        click.echo(f"#{r['id']} [{r['status']}] {r['mailbox']}/{r['folder']} uid {r['uid']}  {r['size']:,} bytes")
        # Sender and subject come from the mail itself: bidi controls must not reorder the terminal line.
        click.echo(neutralise_bidi(f"    from {r['from_addr'] or '?'}: {r['subject'] or '(no subject)'}"))
        click.echo(neutralise_bidi(f"    error: {r['error']}"))


@quarantine_group.command("dismiss")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="Why nobody needs this message processed (for the audit trail).")
@click.option("--by", "user", default="cli", show_default=True, help="Who dismisses it (for the audit trail).")
@pass_app
def dismiss(app: App, entry_id: int, reason: str, user: str) -> None:
    """Close an entry: the message stays in the mailbox but leaves the quarantine list."""
    q.dismiss(app.store, entry_id, user, reason)
    click.echo(f"Quarantined message #{entry_id} dismissed.")


@quarantine_group.command("retry")
@click.argument("entry_id", type=int)
@click.option("--from-dir", "from_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The .eml folder or Maildir the message was polled from (offline sources).")  # fmt: skip
@click.option("--no-triage", is_flag=True, help="Only store the message; leave it pending for a later run.")
@click.option("--by", "user", default="cli", show_default=True, help="Who asks for the retry (for the audit trail).")
@pass_app
def retry(app: App, entry_id: int, from_dir: Path | None, no_triage: bool, user: str) -> None:
    """Fetch the message again from its folder and store it, after the cause (a limit, a bug) is fixed."""
    entry = q.open_entry(app.store, entry_id)
    source = _source(app, entry["mailbox"], from_dir)
    ctx = replace(context_from_settings(app.store, app.settings, bounce_alerts=no_triage), actor=user)
    mailbox = source.connect()
    try:
        outcome = q.retry(ctx, mailbox, entry_id)
    finally:
        mailbox.close()
    what = "already stored" if outcome.kind == "duplicate" else f"stored ({outcome.status})"
    click.echo(f"Quarantined message #{entry_id} {what} as message {outcome.row_id}.")
    if not no_triage and outcome.kind == "stored":
        triage_step(app)()


def _source(app: App, mailbox: str, from_dir: Path | None) -> Source:
    if from_dir is not None:
        folder = FolderMailbox(from_dir)
        return Source(folder.name, folder.folders, lambda: folder)
    for source in imap_sources(app.settings):
        if source.name == mailbox:
            return source
    raise CopilotError(f"no configured mailbox is named {mailbox!r}; for a folder of .eml files pass --from-dir")
