"""Quarantined mail after the fact: a collector dismisses an entry, or has intake read the message again.

Intake quarantines what it cannot store and moves on. The message stays in the mailbox, so once the cause is
gone (a size limit raised, a parser fixed) it can be fetched again by its (folder, UIDVALIDITY, UID) and
stored exactly as the poller would have stored it. Each outcome is audited with who did it and why.
"""

from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.mail.inbound import IntakeContext, Location, Outcome, store_inbound
from copilot.mail.intake import mark_or_remember
from copilot.mail.mailbox.base import Mailbox
from copilot.store import Store


def open_entry(store: Store, qid: int) -> dict:
    """The quarantine row `qid`, which must still be open."""
    row = next(store.db["quarantine"].rows_where("id = ?", [qid], select="id, mailbox, folder, uidvalidity, uid, status"), None)
    if row is None:
        raise NotFound(f"no quarantined message #{qid}")
    if row["status"] != "open":
        raise InvalidTransition(f"quarantined message #{qid} is already {row['status']}")
    return row


def dismiss(store: Store, qid: int, actor: str, reason: str) -> None:
    """Close an entry nobody needs processed (spam, a test mail, a message handled by hand)."""
    if not reason.strip():
        raise CopilotError("say why the quarantined message is dismissed")
    open_entry(store, qid)
    with store.transaction():
        store.db["quarantine"].update(qid, {"status": "dismissed"})
        store.audit(actor, "quarantine", qid, "dismissed", reason=reason.strip(), before={"status": "open"},
                    after={"status": "dismissed"})  # fmt: skip


def retry(ctx: IntakeContext, mailbox: Mailbox, qid: int) -> Outcome:
    """Fetch the entry's message again and store it; the entry then reads `reprocessed`.

    Raises CopilotError, keeping the entry open with the new error, when the message is gone from its folder,
    the folder was recreated (its UIDs now name other mail) or storing still fails.
    """
    store = ctx.store
    entry = open_entry(store, qid)
    if mailbox.name != entry["mailbox"]:
        raise CopilotError(f"quarantined message #{qid} came from mailbox {entry['mailbox']!r}, not {mailbox.name!r}")
    uidvalidity = mailbox.select(entry["folder"])
    if uidvalidity != entry["uidvalidity"]:
        raise _still_failing(ctx, qid, f"{entry['folder']} was recreated (UIDVALIDITY {entry['uidvalidity']}, now {uidvalidity}), "
                                        "so its UID names other mail; the next poll rereads the folder with dedupe")  # fmt: skip
    mail = next(iter(mailbox.fetch([entry["uid"]])), None)
    if mail is None:
        raise _still_failing(ctx, qid, f"UID {entry['uid']} is no longer in {entry['mailbox']}/{entry['folder']} (moved or deleted)")
    if mail.truncated:
        raise _still_failing(ctx, qid, f"message is {mail.size:,} bytes, over the {ctx.limits.max_message_bytes:,}-byte limit")
    loc = Location(entry["mailbox"], entry["folder"], uidvalidity, entry["uid"])
    try:
        with store.transaction():
            outcome = store_inbound(ctx, mail.raw, loc)
            store.db["quarantine"].update(qid, {"status": "reprocessed"})
            store.audit(ctx.actor, "quarantine", qid, "reprocessed", reason=f"fetched again and {outcome.kind}",
                        before={"status": "open"}, after={"status": "reprocessed", "message_row": outcome.row_id})  # fmt: skip
    except Exception as exc:  # noqa: BLE001 -- the same isolation boundary as intake: record the failure, keep the entry
        raise _still_failing(ctx, qid, f"{type(exc).__name__}: {exc}") from exc
    # What the poller does after a message is stored: a refused mark is kept for the next poll, not raised.
    mark_or_remember(ctx, mailbox, loc, outcome.row_id)
    return outcome


def _still_failing(ctx: IntakeContext, qid: int, error: str) -> CopilotError:
    """Record why a retry failed on the still-open entry; the error to raise."""
    with ctx.store.transaction():
        ctx.store.db["quarantine"].update(qid, {"error": error[:2000]})
        ctx.store.audit(ctx.actor, "quarantine", qid, "retry_failed", reason=error[:500])
    return CopilotError(f"quarantined message #{qid} was not stored: {error}")
