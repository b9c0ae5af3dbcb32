"""`copilot tick`: route classified replies, run the scheduled checks and deliver pending alerts."""

import time

import click

from copilot import clock
from copilot.classify import build_classifier
from copilot.classify.gist import build_gister
from copilot.cli.app import EXIT_NEEDS_ATTENTION, App, main, pass_app
from copilot.drafting.appender import ImapAppender
from copilot.drafting.hold import release_due_holds
from copilot.drafting.review import expire_drafts
from copilot.mail.sender import make_sender
from copilot.routing.alerts import deliver_pending_alerts, open_alerts
from copilot.routing.isolation import RoutingReport
from copilot.routing.scheduler import tick as run_tick
from copilot.routing.service import make_router, route_classified
from copilot.routing.triage import triage_pending


@main.command("tick")
@click.option("--no-deliver", is_flag=True, help="Queue alerts but do not send them.")
@click.option("--every", "every", type=click.FloatRange(min=0), default=0,
              help="Keep running, once every this many seconds (0: run once).")  # fmt: skip
@click.option("--runs", type=click.IntRange(min=1), default=None, help="With --every: stop after this many runs.")
@pass_app
def tick(app: App, no_deliver: bool, every: float, runs: int | None) -> None:
    """Classify and route pending replies, check promises, paid claims, snoozes and dispute SLAs, then send alerts.

    A reply that cannot be routed is sent to review and the rest go on; the exit status is then 3.
    """
    done = 0
    failed: dict[int, str] = {}
    try:
        while True:
            failed.update(_once(app, no_deliver).failed)
            done += 1
            if not every or (runs is not None and done >= runs):
                break
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo("Stopped.")
    if failed:
        raise click.exceptions.Exit(EXIT_NEEDS_ATTENTION)


def _once(app: App, no_deliver: bool) -> RoutingReport:
    settings, store = app.settings, app.store
    routing = RoutingReport()
    # Replies a stopped poll left pending are classified here too, so nothing waits for new mail to arrive.
    if store.db["messages"].count_where("direction = 'inbound' and status = 'pending'"):
        classifier = build_classifier(settings, store=store)
        triage_pending(store, classifier, make_router(app.policy, settings), report=routing,
                       gister=build_gister(settings, store))  # fmt: skip
    route_classified(store, app.policy, settings, report=routing)
    report = run_tick(store, app.policy, settings, clock.today())
    expired = expire_drafts(store, "scheduler")  # expiry is recorded here and by `plan`, never by a listing
    counts = {k.replace("_", " "): v for k, v in report.counts().items() if v}
    click.echo(
        f"Tick for {clock.today().isoformat()}: {len(routing.routed)} replies routed"
        + (f", {routing.failures_line()}" if routing.failed else "")
        + "; "
        + (", ".join(f"{k}: {v}" for k, v in counts.items()) or "nothing fell due")
        + (f"; {expired} draft(s) expired" if expired else "")
    )
    for message_id, reason in sorted(routing.failed.items()):
        click.secho(f"  reply #{message_id} sent to review: {reason}", fg="yellow")
    if not no_deliver:
        sender = make_sender(settings.smtp, settings.outbox_dir)
        delivery = deliver_pending_alerts(store, sender, settings)
        click.echo(
            f"Alerts: {len(delivery.sent)} sent, {len(delivery.retrying)} to retry, {len(delivery.failed)} failed"
        )
        # Web sends held for Undo that a stopped server never released.
        appender = ImapAppender(settings.imap) if settings.imap.host and settings.imap.username else None
        released = release_due_holds(store, sender, settings, "tick", appender)
        if released:
            click.echo(f"Held sends released: {len(released)}")
    for alert in open_alerts(store):
        if alert["status"] in ("pending", "failed"):
            note = f" (attempt {alert['attempts']}: {alert['last_error']})" if alert["last_error"] else ""
            click.secho(
                f"  alert #{alert['id']} {alert['kind']} for {alert['customer_id']}: {alert['status']}{note}",
                fg="red" if alert["status"] == "failed" else "yellow",
            )
    return routing
