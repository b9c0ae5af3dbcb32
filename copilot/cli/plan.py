"""`copilot plan` and `copilot drafts …`: plan the day's reminders, then review and send them without the web UI."""

import json
from datetime import date, datetime
from pathlib import Path

import click
from tqdm import tqdm

from copilot import clock
from copilot.cli.app import App, main, pass_app
from copilot.drafting.appender import Appender, ImapAppender
from copilot.drafting.outbox import (
    HoldActive,
    SendRefused,
    build_message,
    reconcile_sending,
    send_auto_drafts,
    send_draft,
)
from copilot.drafting.plan import plan_day
from copilot.drafting.review import (
    approve_draft,
    edit_draft,
    get_draft,
    held_until,
    regenerate_draft,
    reject_draft,
    revive_draft,  # fmt: skip
)
from copilot.mail.sender import make_sender
from copilot.store import loads

USER = click.option("--user", default="cli", show_default=True, help="Who is acting (recorded in the audit log).")


def _appender(app: App) -> Appender | None:
    return ImapAppender(app.settings.imap) if app.settings.imap.host and app.settings.imap.username else None


@main.command("plan")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Plan for this day instead of today.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--auto-send", is_flag=True, help="Then send the Tier 1 drafts the policy lets go out without a person.")
@pass_app
def plan(app: App, day: datetime | None, as_json: bool, auto_send: bool) -> None:
    """Create today's drafts: one per customer that needs a touch (safe to run twice)."""
    settings = app.settings
    as_of: date = day.date() if day else clock.today()
    if day:
        clock.pin(as_of)
    with tqdm(desc="Drafting", unit=" drafts", disable=None, leave=False) as bar:
        result = plan_day(app.store, app.policy, settings, as_of, progress=bar.update)
    summary = result.summary()
    if auto_send:  # also resumes drafts a crashed run approved for auto-send but did not send
        sender = make_sender(settings.smtp, settings.outbox_dir)
        sent = send_auto_drafts(app.store, sender, settings, app.policy, _appender(app))
        summary["auto_sent"] = sum(1 for r in sent if r["status"] == "sent")
        summary["auto_send_failed"] = [r["id"] for r in sent if r["status"] != "sent"]
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    if result.quiet_day:
        click.echo(f"{as_of.isoformat()} is a quiet day in the policy: no drafts planned.")
        return
    if not result.customers:
        click.echo(f"Plan for {as_of.isoformat()}: no open invoices in the ledger (load one with `copilot import invoices`).")
        return
    click.echo(f"Plan for {as_of.isoformat()}: {result.customers} customer(s) with open invoices; "
               f"{len(result.created)} draft(s) created, {summary['auto_send']} marked for "
               f"auto-send, {summary['flagged']} flagged by guardrails, {result.expired} expired, "
               f"{len(result.regenerated)} stale draft(s) written again.")  # fmt: skip
    for kind, n in summary["by_kind"].items():
        click.echo(f"  {kind:<15} {n}")
    if summary["by_tier"]:
        click.echo("  by tier: " + ", ".join(f"T{t}: {n}" for t, n in summary["by_tier"].items()))
    if summary["skipped"]:
        click.echo("Skipped: " + ", ".join(f"{reason} {n}" for reason, n in summary["skipped"].items()))
    if "auto_sent" in summary:
        click.echo(f"Auto-sent: {summary['auto_sent']}; failed: {summary['auto_send_failed'] or 'none'}")


@main.group("drafts")
def drafts() -> None:
    """Review, approve and send the planned drafts."""


@drafts.command("list")
@click.option("--status", default=None, help="Only drafts in this status (draft, approved, failed, sent…).")
@pass_app
def list_drafts(app: App, status: str | None) -> None:
    """List drafts, newest first (reading only: expiry is recorded by `tick` and `plan`)."""
    where, args = ("status = ?", [status]) if status else (None, [])
    rows = list(app.store.db["drafts"].rows_where(where, args, order_by="id desc", limit=200))
    if not rows:
        click.echo("No drafts.")
        return
    for r in rows:
        flags = " ⚑" if loads(r["guardrail_flags_json"], []) else ""
        auto = " auto" if r["auto_send"] else ""
        stale = " stale" if r["stale_at"] and r["status"] in ("draft", "approved") else ""
        click.echo(f"#{r['id']:<5} {r['status']:<10} {r['plan_date']}  T{r['tier']} {r['kind']:<14} "
                   f"{r['customer_id']:<10} {r['contact_email']:<32} {r['subject']}{auto}{stale}{flags}")  # fmt: skip


@drafts.command("show")
@click.argument("draft_id", type=int)
@pass_app
def show(app: App, draft_id: int) -> None:
    """Show a draft as it would be sent, with its guardrail flags."""
    row = get_draft(app.store, draft_id)
    preview = build_message({**row, "message_id": row["message_id"] or "<not yet assigned>"}, app.settings)
    click.echo(f"Draft #{row['id']}  status={row['status']}  kind={row['kind']}  tier={row['tier']}  "
               f"generator={row['generator']}  expires={row['expires_at']}")  # fmt: skip
    for header in ("From", "To", "Cc", "Reply-To", "Subject", "In-Reply-To"):
        if preview[header]:
            click.echo(f"{header}: {preview[header]}")
    click.echo("")
    click.echo(preview.get_content().rstrip())
    for flag in loads(row["guardrail_flags_json"], []):
        click.secho(f"⚑ {flag['source']}: {flag['check']}: {flag['detail']}", fg="yellow")
    until = held_until(row)
    if until is not None and until > clock.now():
        click.secho(f"held for Undo until {until.isoformat(timespec='seconds')} (to send it at once: "
                    f"`copilot drafts send {draft_id} --now`)", fg="yellow")  # fmt: skip
    if row["last_error"]:
        click.secho(f"last error: {row['last_error']}", fg="red")
    if row["stale_at"] and row["status"] in ("draft", "approved"):
        click.secho(f"stale since {row['stale_at']}: {row['stale_reason']} (the next plan writes it again)", fg="yellow")
    if row["note"]:
        click.secho(f"note: {row['note']}", fg="yellow")
    if row["superseded_reason"]:
        click.secho(f"withdrawn: {row['superseded_reason']}", fg="yellow")


@drafts.command("revive")
@click.argument("draft_id", type=int)
@USER
@pass_app
def revive(app: App, draft_id: int, user: str) -> None:
    """Bring an expired draft back to review (written again if the account's state moved on)."""
    row = revive_draft(app.store, draft_id, user, policy=app.policy, settings=app.settings)
    click.echo(f"Draft #{draft_id} is back in review until {row['expires_at']}." + (f" {row['note']}" if row.get("note") else ""))


@drafts.command("edit")
@click.argument("draft_id", type=int)
@click.option("--subject", help="New subject line.")
@click.option("--body-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="File with the new body.")
@USER
@pass_app
def edit(app: App, draft_id: int, subject: str | None, body_file: Path | None, user: str) -> None:
    """Replace a draft's subject and/or body (opens $EDITOR when neither is given)."""
    row = get_draft(app.store, draft_id)
    body = body_file.read_text(encoding="utf-8") if body_file else None
    if subject is None and body is None:
        body = click.edit(row["body"])
        if body is None:
            click.echo("Unchanged.")
            return
    row = edit_draft(app.store, draft_id, user, subject=subject, body=body, policy=app.policy)
    flags = loads(row["guardrail_flags_json"], [])
    click.echo(f"Draft #{draft_id} saved" + (f" with {len(flags)} guardrail flag(s)." if flags else "."))


@drafts.command("approve")
@click.argument("draft_id", type=int)
@click.option("--override", "override_reason", help="Approve despite guardrail flags, for this reason.")
@USER
@pass_app
def approve(app: App, draft_id: int, override_reason: str | None, user: str) -> None:
    """Approve a draft for sending."""
    _ = app.settings  # pins the clock when a date is set
    approve_draft(app.store, draft_id, user, policy=app.policy, override_reason=override_reason)
    click.echo(f"Draft #{draft_id} approved.")


@drafts.command("reject")
@click.argument("draft_id", type=int)
@click.option("--reason", required=True, help="Why the draft should not go out.")
@USER
@pass_app
def reject(app: App, draft_id: int, reason: str, user: str) -> None:
    """Reject a draft with a reason."""
    _ = app.settings  # pins the clock when a date is set
    reject_draft(app.store, draft_id, user, reason)
    click.echo(f"Draft #{draft_id} rejected.")


@drafts.command("regenerate")
@click.argument("draft_id", type=int)
@click.option("--tone", type=click.Choice(["warmer", "firmer"]), required=True)
@USER
@pass_app
def regenerate(app: App, draft_id: int, tone: str, user: str) -> None:
    """Write the draft again in a warmer or firmer tone."""
    row = regenerate_draft(app.store, draft_id, user, tone, policy=app.policy, settings=app.settings)
    click.echo(f"Draft #{draft_id} rewritten ({tone}, {row['generator']}).")


@drafts.command("reconcile")
@USER
@pass_app
def reconcile(app: App, user: str) -> None:
    """Settle drafts left in 'sending' by a crash: sent if found in the Sent folder, else failed for a person to check."""
    settled = reconcile_sending(app.store, app.settings, user, _appender(app))
    for row in settled:
        click.echo(f"Draft #{row['id']}: {row['status']}" + (f" ({row['last_error']})" if row["last_error"] else ""))
    if not settled:
        click.echo("No send was left unfinished.")


@drafts.command("send")
@click.argument("draft_ids", type=int, nargs=-1)
@click.option("--approved", "all_approved", is_flag=True, help="Send every approved draft.")
@click.option("--auto", "auto", is_flag=True, help="Send the drafts the policy lets go out automatically.")
@click.option("--confirm-not-delivered", is_flag=True,
              help="Resend a draft whose earlier send was interrupted, after checking it did not arrive.")  # fmt: skip
@click.option("--now", "cut_hold", is_flag=True,
              help="Send a draft held for Undo (approved in the web) at once, cutting its hold short (audited).")  # fmt: skip
@USER
@pass_app
def send(app: App, draft_ids: tuple[int, ...], all_approved: bool, auto: bool, confirm_not_delivered: bool,
         cut_hold: bool, user: str) -> None:  # fmt: skip
    """Send approved drafts by SMTP (or to the outbox folder when no server is set) and file a copy in Sent.

    A draft approved in the web waits out its Undo hold: it is refused here until the hold ends (it is
    sent then by the web, or by `copilot tick`), unless --now cuts the hold short.
    """
    settings = app.settings
    sender = make_sender(settings.smtp, settings.outbox_dir)
    appender = _appender(app)
    for row in reconcile_sending(app.store, settings, user, appender):
        click.echo(f"Draft #{row['id']} was stuck while sending: now {row['status']}.")
    results = []
    if auto:
        results += send_auto_drafts(app.store, sender, settings, app.policy, appender)
    ids = list(draft_ids)
    held = 0
    if all_approved:
        for r in app.store.db["drafts"].rows_where("status = 'approved'", order_by="id"):
            until = held_until(r)
            if until is not None and until > clock.now() and not cut_hold:
                held += 1  # "every approved draft" does not reach into a hold someone may still undo
                click.echo(f"Draft #{r['id']} is held for Undo until {until.isoformat(timespec='seconds')}; "
                           "left to go out when its hold ends.")  # fmt: skip
            else:
                ids.append(r["id"])
    refused = 0
    for draft_id in ids:
        try:
            results.append(send_draft(app.store, draft_id, sender, settings, user, appender, policy=app.policy,
                                      confirm_not_delivered=confirm_not_delivered, cut_hold=cut_hold))  # fmt: skip
        except HoldActive as exc:
            refused += 1
            click.secho(f"Draft #{draft_id} not sent: {exc}. To send it at once, run `copilot drafts send "
                        f"{draft_id} --now`.", fg="red")  # fmt: skip
        except SendRefused as exc:
            refused += 1
            click.secho(f"Draft #{draft_id} {exc}", fg="red")
    if not results and not refused and not held:
        click.echo("Nothing to send.")
    failed = refused
    for row in results:
        if row["status"] == "sent":
            note = f" {row['note']}" if row.get("note") else ""
            click.echo(f"Draft #{row['id']} sent as {row['message_id']}.{note}")
        elif row["status"] == "superseded":
            click.secho(f"Draft #{row['id']} withdrawn, not sent: {row['superseded_reason']}", fg="yellow")
        else:
            failed += 1
            click.secho(f"Draft #{row['id']} {row['status']}: {row['last_error']} (retry with `copilot drafts send "
                        f"{row['id']}`)", fg="red")  # fmt: skip
    if failed:
        raise SystemExit(1)
