"""`copilot poll`: fetch replies from the configured IMAP mailboxes (or a folder of .eml files) and triage them."""

import logging
import signal
from collections.abc import Callable
from pathlib import Path

import click

from copilot.classify import build_classifier
from copilot.classify.gist import build_gister
from copilot.classify.registry import active_digest
from copilot.cli.app import EXIT_NEEDS_ATTENTION, App, main, pass_app
from copilot.mail.intake import IntakeStats, Poller, Source, backoff_from_settings, context_from_settings, imap_sources
from copilot.mail.mailbox.folder import FolderMailbox
from copilot.mail.sender import make_sender
from copilot.routing import make_router
from copilot.routing.alerts import deliver_pending_alerts
from copilot.routing.isolation import RoutingReport
from copilot.routing.triage import triage_pending


def triage_step(app: App, routing: RoutingReport | None = None) -> Callable[[IntakeStats | None], None]:
    """Classify and route whatever is pending, then deliver the alerts that raised; routing results go to `routing`."""
    settings, store = app.settings, app.store
    current = {"model": active_digest(store), "classifier": build_classifier(settings, store=store)}
    router = make_router(app.policy, settings)
    gister = build_gister(settings, store)  # non-English replies get their English gist as they are classified
    sender = make_sender(settings.smtp, settings.outbox_dir)

    def triage(_: IntakeStats | None = None) -> None:
        model = active_digest(store)
        if model != current["model"]:  # `copilot train` or the inbox's "retrain now" made another model active
            current.update(model=model, classifier=build_classifier(settings, store=store))
        triage_pending(store, current["classifier"], router, report=routing, gister=gister)
        # Alerts raised by routing go out now, so an account team hears of an angry reply within the poll cycle.
        deliver_pending_alerts(store, sender, settings)

    return triage


@main.command("poll")
@click.option("--once", is_flag=True, help="Process the backlog, then exit.")
@click.option("--from-dir", "from_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Read a folder of .eml files or a Maildir instead of IMAP (offline).")  # fmt: skip
@click.option("--no-triage", is_flag=True, help="Only store messages; leave them pending for a later run.")
@click.option("-v", "--verbose", is_flag=True, help="Log each batch and reconnect.")
@pass_app
def poll(app: App, once: bool, from_dir: Path | None, no_triage: bool, verbose: bool) -> None:
    """Store every new reply once, without touching \\Seen; runs until SIGTERM/SIGINT unless --once.

    Exits with status 3 when a reply could not be routed (it waits for review) or the server refused
    to mark a stored message processed (tried again on the next poll); everything else was done.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    settings, store = app.settings, app.store
    if from_dir is not None:
        folder = FolderMailbox(from_dir)
        sources = [Source(folder.name, folder.folders, lambda: folder)]
    else:
        sources = imap_sources(settings)
    routing = RoutingReport()
    triage = None if no_triage else triage_step(app, routing)
    if triage is not None:
        triage()  # what an earlier run left pending (it stopped mid-classification) is classified first
    ctx = context_from_settings(store, settings, bounce_alerts=no_triage)
    poller = Poller(ctx, sources, backoff_from_settings(settings.imap, 8 if once else None),
                    on_stored=triage)  # fmt: skip
    # Stop after the message in hand: the cursor has moved past it, so nothing is half-done.
    previous = {sig: signal.signal(sig, lambda *_: poller.stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if once:
            stats = poller.run_once()
            if triage is not None:
                triage()  # idempotent: classifies whatever is still pending, stored in this run or not
        else:
            click.echo(f"Watching {', '.join(f'{s.name}/{f}' for s in sources for f in s.folders)}; stop with Ctrl-C.")
            stats = poller.run_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    pending = store.db["messages"].count_where("direction = 'inbound' and status = 'pending'")
    unmarked = store.db["mailbox_mark_retries"].count
    click.echo(f"{stats.stored} stored ({stats.unmatched} unmatched), {stats.duplicates} duplicates, "
               f"{stats.quarantined} quarantined, {stats.reconnects} reconnects; {pending} waiting for classification.")  # fmt: skip
    if routing.failed:
        click.secho(f"Routing: {len(routing.routed)} routed, {routing.failures_line()}.", fg="yellow")
        for message_id, reason in sorted(routing.failed.items()):
            click.secho(f"  reply #{message_id} sent to review: {reason}", fg="yellow")
    if stats.mark_failures or stats.marks_retried or unmarked:
        click.secho(f"Marking processed: {stats.marks_retried} earlier refusal(s) went through; {unmarked} stored "
                    "message(s) the server would not mark are tried again on the next poll.",
                    fg="yellow" if unmarked else None)  # fmt: skip
    if not once:
        click.echo("Stopped cleanly.")
    if routing.failed or stats.mark_failures:
        raise click.exceptions.Exit(EXIT_NEEDS_ATTENTION)
