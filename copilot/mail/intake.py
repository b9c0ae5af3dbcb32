"""The poller: walk each folder from its cursor, store every message once, then watch for more.

The cursor is (mailbox, folder, UIDVALIDITY, last UID) and moves in the same transaction
as the message it passes, so a crash or a dropped connection can neither skip nor repeat
mail. A new UIDVALIDITY restarts the walk from UID 1 and the dedupe key (Message-ID plus
raw hash) drops what is already stored. Lost connections are retried with exponential
backoff and jitter; every reconnect begins with a catch-up search from the cursor.

Marking a stored message processed (a keyword or a move) happens after its commit. A server that
refuses the mark for one message (keyword not permitted, target folder missing or over quota) stops
nothing: the refusal is logged, audited and kept in `mailbox_mark_retries`, and every later sync of
the folder tries that mark again before it reads new mail.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from copilot import clock
from copilot.config import ImapSettings, Settings
from copilot.errors import MailboxError
from copilot.mail.inbound import IntakeContext, Location, Outcome, quarantine, store_inbound
from copilot.mail.mailbox.base import Disconnected, Mailbox, RawMail
from copilot.mail.mailbox.imap import ImapMailbox
from copilot.mail.matching import own_domains
from copilot.mail.parse import ParseLimits
from copilot.store import Store

log = logging.getLogger("copilot.mail.intake")

Connector = Callable[[], Mailbox]  # opens (connects and logs in) a fresh mailbox
COMMIT_BATCH = 100  # messages per transaction where storing leaves the mailbox untouched
RETRY_MARKS_PER_SYNC = 100  # refused marks tried again per folder sync, the longest-waiting first


@dataclass
class IntakeStats:
    stored: int = 0
    unmatched: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reconnects: int = 0
    resyncs: int = 0
    mark_failures: int = 0  # marks the server refused in this run (kept for the next poll)
    marks_retried: int = 0  # earlier refused marks that went through this time

    def add(self, other: IntakeStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Backoff:
    """Reconnect timing: delay = min(cap, base * 2^(attempt-1)), jittered to between half and all of it."""

    base: float = 1.0
    cap: float = 300.0
    give_up_after: int | None = None  # attempts; None retries until stopped

    def delay(self, attempt: int, rand: float) -> float:
        full = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return full * (0.5 + 0.5 * rand)


# -- cursor -----------------------------------------------------------------
def get_cursor(ctx: IntakeContext, mailbox: str, folder: str) -> tuple[int, int] | None:
    """(UIDVALIDITY, last UID) for a folder, or None before its first message."""
    row = next(ctx.store.db["mailbox_cursors"].rows_where("mailbox = ? and folder = ?", [mailbox, folder]), None)
    return (row["uidvalidity"], row["last_uid"]) if row else None


def set_cursor(ctx: IntakeContext, mailbox: str, folder: str, uidvalidity: int, last_uid: int) -> None:
    ctx.store.conn.execute(
        "insert into mailbox_cursors (mailbox, folder, uidvalidity, last_uid, updated_at) values (?, ?, ?, ?, ?) "
        "on conflict (mailbox, folder) do update set uidvalidity = excluded.uidvalidity, "
        "last_uid = excluded.last_uid, updated_at = excluded.updated_at",
        [mailbox, folder, uidvalidity, last_uid, clock.now_iso()],
    )


# -- one message, one folder --------------------------------------------------
def process_message(ctx: IntakeContext, mail: RawMail, loc: Location) -> Outcome:
    """Store (or quarantine) one message and advance the cursor past it, atomically."""
    store = ctx.store
    if mail.error is not None:
        error = f"the message could not be read from the mailbox: {mail.error}"
    elif mail.truncated:
        error = f"message is {mail.size:,} bytes, over the {ctx.limits.max_message_bytes:,}-byte limit; only its header was read"
    else:
        try:
            with store.transaction():
                outcome = store_inbound(ctx, mail.raw, loc)
                set_cursor(ctx, loc.mailbox, loc.folder, loc.uidvalidity, loc.uid)
            return outcome
        except Exception as exc:  # noqa: BLE001 -- isolation boundary: one poison message must never block the mailbox
            error = f"{type(exc).__name__}: {exc}"
    with store.transaction():
        qid = quarantine(ctx, mail.raw, loc, error)
        set_cursor(ctx, loc.mailbox, loc.folder, loc.uidvalidity, loc.uid)
    return Outcome("quarantined", qid)


def sync_folder(ctx: IntakeContext, mailbox: Mailbox, folder: str, stop: threading.Event | None = None,
                lock: threading.Lock | None = None, stats: IntakeStats | None = None,
                remark_last: bool = False, commit_batch: int = COMMIT_BATCH) -> IntakeStats:  # fmt: skip
    """Process everything in `folder` above the cursor; resynchronise when UIDVALIDITY changed.

    Counts go into `stats` as each batch commits, so a caller keeps them when the connection drops midway.
    With `remark_last` (after a reconnect) the keyword/move is applied again to the cursor's
    message, which the lost connection may have stored without marking.
    """
    lock = lock or threading.Lock()
    stats = stats if stats is not None else IntakeStats()
    uidvalidity = mailbox.select(folder)
    with lock:
        cursor = get_cursor(ctx, mailbox.name, folder)
        last_uid = 0
        if cursor is not None and cursor[0] == uidvalidity:
            last_uid = cursor[1]
        elif cursor is not None:
            with ctx.store.transaction():
                set_cursor(ctx, mailbox.name, folder, uidvalidity, 0)
                # The old UIDs name no message any more; the reread marks what it stores anyway.
                dropped_marks = ctx.store.conn.execute(
                    "delete from mailbox_mark_retries where mailbox = ? and folder = ? and uidvalidity != ?",
                    [mailbox.name, folder, uidvalidity]).rowcount  # fmt: skip
                ctx.store.audit(ctx.actor, "mailbox_cursor", f"{mailbox.name}/{folder}", "resync",
                                reason=f"UIDVALIDITY changed from {cursor[0]} to {uidvalidity}; rereading with dedupe",
                                before={"uidvalidity": cursor[0], "last_uid": cursor[1]},
                                after={"uidvalidity": uidvalidity, "last_uid": 0, "mark_retries_dropped": dropped_marks})  # fmt: skip
            stats.resyncs += 1
            log.warning("%s/%s: UIDVALIDITY changed (%s -> %s); resynchronising", mailbox.name, folder, cursor[0], uidvalidity)
    retry_marks(ctx, mailbox, folder, uidvalidity, lock, stats)  # what an earlier poll could not mark
    last = Location(mailbox.name, folder, uidvalidity, last_uid)
    if remark_last and last_uid and not _quarantined(ctx, last) and not _awaiting_mark(ctx, last):
        # Idempotent: a keyword set twice, a UID already moved is ignored.
        mark_or_remember(ctx, mailbox, last, None, lock, stats)
    uids = mailbox.uids_after(last_uid)
    # Where storing changes nothing in the mailbox, a whole batch commits at once: each message
    # still gets its own savepoint and cursor step, so a poison message rolls back alone, and a
    # crash before the commit only means the batch is fetched again (the dedupe key drops what a
    # resync might repeat). A keyword or move must follow its own commit, so then it is one by one.
    per_commit = commit_batch if not getattr(mailbox, "marks_processed", True) else 1
    mails = iter(mailbox.fetch(uids))
    dropped: Disconnected | None = None
    finished = False
    while not finished and dropped is None:
        batch = IntakeStats()
        marks: list[tuple[int, int]] = []  # (UID, stored message row)
        with lock, ctx.store.transaction():
            for _ in range(per_commit):
                if stop is not None and stop.is_set():
                    finished = True
                    break
                try:
                    mail = next(mails, None)
                except Disconnected as exc:  # keep what this batch stored; the caller reconnects
                    dropped = exc
                    break
                if mail is None:
                    finished = True
                    break
                outcome = process_message(ctx, mail, Location(mailbox.name, folder, uidvalidity, mail.uid))
                _count(batch, outcome)
                if outcome.kind != "quarantined":
                    marks.append((mail.uid, outcome.row_id))
        stats.add(batch)
        for uid, row_id in marks:
            mark_or_remember(ctx, mailbox, Location(mailbox.name, folder, uidvalidity, uid), row_id, lock, stats)
    if dropped is not None:
        raise dropped
    return stats


def _count(stats: IntakeStats, outcome: Outcome) -> None:
    if outcome.kind == "stored":
        stats.stored += 1
        stats.unmatched += outcome.status == "unmatched"
    elif outcome.kind == "duplicate":
        stats.duplicates += 1
    else:
        stats.quarantined += 1


# -- marking processed, one message at a time ----------------------------------
_AT = "mailbox = ? and folder = ? and uidvalidity = ? and uid = ?"


def _key(loc: Location) -> list:
    return [loc.mailbox, loc.folder, loc.uidvalidity, loc.uid]


def mark_or_remember(ctx: IntakeContext, mailbox: Mailbox, loc: Location, message_row: int | None,
                     lock: threading.Lock | None = None, stats: IntakeStats | None = None) -> bool:  # fmt: skip
    """Mark one stored message processed; when the server refuses, keep it for the next poll and go on.

    Returns whether the mark went through. A dropped connection still raises Disconnected: the
    poller reconnects, and the catch-up marks the cursor's message again.
    """
    try:
        mailbox.mark_processed(loc.uid)
    except Disconnected:
        raise
    except Exception as exc:  # noqa: BLE001 -- isolation boundary: a mark refused for one message must not stop the folder
        with lock or threading.Lock(), ctx.store.transaction():
            record_mark_failure(ctx, loc, message_row, _refusal(exc))
        if stats is not None:
            stats.mark_failures += 1
        return False
    return True


def retry_marks(ctx: IntakeContext, mailbox: Mailbox, folder: str, uidvalidity: int,
                lock: threading.Lock | None = None, stats: IntakeStats | None = None) -> int:  # fmt: skip
    """Try again the marks the server refused in this folder earlier; returns how many went through now."""
    lock = lock or threading.Lock()
    with lock:
        waiting = list(ctx.store.db["mailbox_mark_retries"].rows_where(
            "mailbox = ? and folder = ? and uidvalidity = ?", [mailbox.name, folder, uidvalidity],
            order_by="last_attempt_at, uid", limit=RETRY_MARKS_PER_SYNC))  # fmt: skip
    done = 0
    for row in waiting:
        loc = Location(row["mailbox"], row["folder"], row["uidvalidity"], row["uid"])
        if not mark_or_remember(ctx, mailbox, loc, row["message_id"], lock, stats):
            continue
        with lock, ctx.store.transaction():
            ctx.store.conn.execute(f"delete from mailbox_mark_retries where {_AT}", _key(loc))
            _audit_mark(ctx, loc, row["message_id"], "marked_processed",
                        f"{_where(loc)} was marked processed on attempt {row['attempts'] + 1}; "
                        f"the server had refused: {row['last_error']}"[:500],
                        {"attempts": row["attempts"] + 1})  # fmt: skip
        log.info("%s: marked processed on attempt %d", _where(loc), row["attempts"] + 1)
        done += 1
        if stats is not None:
            stats.marks_retried += 1
    return done


def record_mark_failure(ctx: IntakeContext, loc: Location, message_row: int | None, error: str) -> None:
    """Keep a refused mark for the next poll (call inside a transaction); the first refusal is audited.

    Later refusals of the same mark only count attempts and keep the latest answer, so a folder
    whose every mark is refused does not add an audit event per message on every poll.
    """
    table = ctx.store.db["mailbox_mark_retries"]
    now = clock.now_iso()
    row = next(table.rows_where(_AT, _key(loc)), None)
    if row is not None:
        ctx.store.conn.execute(f"update mailbox_mark_retries set attempts = attempts + 1, last_error = ?, "
                               f"last_attempt_at = ? where {_AT}", [error[:2000], now, *_key(loc)])  # fmt: skip
        log.info("%s: still not marked processed (attempt %d): %s", _where(loc), row["attempts"] + 1, error)
        return
    if message_row is None:
        found = ctx.store.conn.execute(f"select id from messages where {_AT}", _key(loc)).fetchone()
        message_row = found[0] if found else None
    ctx.store.insert("mailbox_mark_retries", {
        "mailbox": loc.mailbox, "folder": loc.folder, "uidvalidity": loc.uidvalidity, "uid": loc.uid,
        "message_id": message_row, "attempts": 1, "last_error": error[:2000], "first_failed_at": now,
        "last_attempt_at": now})  # fmt: skip
    _audit_mark(ctx, loc, message_row, "mark_failed",
                f"{_where(loc)} is stored but was not marked processed; the next poll tries again. {error}"[:500],
                {"error": error[:2000]})  # fmt: skip
    log.warning("%s is stored but was not marked processed (the next poll tries again): %s", _where(loc), error)


def _audit_mark(ctx: IntakeContext, loc: Location, message_row: int | None, action: str, reason: str, extra: dict) -> None:
    where = {"mailbox": loc.mailbox, "folder": loc.folder, "uidvalidity": loc.uidvalidity, "uid": loc.uid}
    if message_row is None:
        ctx.store.audit(ctx.actor, "mailbox_message", "/".join(map(str, _key(loc))), action, reason=reason,
                        after={**where, **extra})  # fmt: skip
        return
    found = ctx.store.conn.execute("select customer_id from messages where id = ?", [message_row]).fetchone()
    ctx.store.audit(ctx.actor, "message", message_row, action, reason=reason, after={**where, **extra},
                    customer_id=found[0] if found else None)  # fmt: skip


def _where(loc: Location) -> str:
    return f"{loc.mailbox}/{loc.folder} UID {loc.uid}"


def _refusal(exc: Exception) -> str:
    # MailboxError already says what the server refused and its answer; anything else is named by its type.
    return str(exc) if isinstance(exc, MailboxError) else f"{type(exc).__name__}: {exc}"


def _awaiting_mark(ctx: IntakeContext, loc: Location) -> bool:
    return bool(ctx.store.db["mailbox_mark_retries"].count_where(_AT, _key(loc)))


def _quarantined(ctx: IntakeContext, loc: Location) -> bool:
    return bool(ctx.store.db["quarantine"].count_where(_AT, _key(loc)))


# -- the poller -------------------------------------------------------------
@dataclass
class Source:
    """One configured account: how to open it and which folders to watch."""

    name: str
    folders: Sequence[str]
    connect: Connector


@dataclass
class Poller:
    """Runs intake over every source: `run_once()` for the backlog, `run_forever()` to keep watching."""

    ctx: IntakeContext
    sources: list[Source]
    backoff: Backoff = field(default_factory=Backoff)
    stop: threading.Event = field(default_factory=threading.Event)
    on_stored: Callable[[IntakeStats], None] | None = None  # e.g. triage what was stored
    rand: Callable[[], float] = random.random
    stats: IntakeStats = field(default_factory=IntakeStats)
    # How the poller waits out a reconnect delay; tests pass one that only records the delays.
    pause: Callable[[float], object] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: list[BaseException] = []

    def run_once(self) -> IntakeStats:
        """Process every folder's backlog, reconnecting as needed, then return."""
        for source in self.sources:
            for folder in source.folders:
                self._with_reconnect(source, folder, watch=False)
        return self.stats

    def run_forever(self) -> IntakeStats:
        """Watch every folder (one connection each) until `stop` is set; re-raise a fatal error."""
        threads = [
            threading.Thread(target=self._guarded, args=(source, folder), name=f"intake:{source.name}/{folder}", daemon=True)
            for source in self.sources for folder in source.folders
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        while not self.stop.wait(0.2):
            if not any(t.is_alive() for t in threads):
                break
        self.stop.set()
        for thread in threads:
            thread.join()
        if self._errors:
            raise self._errors[0]
        return self.stats

    def _guarded(self, source: Source, folder: str) -> None:
        try:
            self._with_reconnect(source, folder, watch=True)
        except BaseException as exc:  # noqa: BLE001 -- hand the failure to the main thread and stop the others
            self._errors.append(exc)
            self.stop.set()

    def _with_reconnect(self, source: Source, folder: str, watch: bool) -> None:
        attempt = 0
        while not self.stop.is_set():
            mailbox: Mailbox | None = None
            try:
                mailbox = source.connect()
                self._sync(mailbox, folder, reconnected=attempt > 0)  # the catch-up search after every (re)connect
                attempt = 0
                if not watch:
                    return
                while not self.stop.is_set():
                    mailbox.wait(self.stop)
                    self._sync(mailbox, folder)
            except Disconnected as exc:
                attempt += 1
                if self.backoff.give_up_after is not None and attempt > self.backoff.give_up_after:
                    raise MailboxError(f"{source.name}/{folder}: gave up after {attempt - 1} reconnect attempts: {exc}") from None
                delay = self.backoff.delay(attempt, self.rand())
                log.warning("%s/%s: %s; reconnecting in %.1fs (attempt %d)", source.name, folder, exc, delay, attempt)
                with self._lock:
                    self.stats.reconnects += 1
                (self.pause or self.stop.wait)(delay)
            finally:
                if mailbox is not None:
                    mailbox.close()

    def _sync(self, mailbox: Mailbox, folder: str, reconnected: bool = False) -> None:
        stats = IntakeStats()
        try:
            sync_folder(self.ctx, mailbox, folder, self.stop, self._lock, stats, remark_last=reconnected)
        finally:
            with self._lock:
                self.stats.add(stats)
        if self.on_stored is not None and stats.stored:
            with self._lock:
                self.on_stored(stats)
        if stats.stored or stats.quarantined or stats.duplicates or stats.mark_failures or stats.marks_retried:
            log.info("%s/%s: %d stored (%d unmatched), %d duplicates, %d quarantined; marks: %d refused, %d retried",
                     mailbox.name, folder, stats.stored, stats.unmatched, stats.duplicates, stats.quarantined,
                     stats.mark_failures, stats.marks_retried)  # fmt: skip


# -- wiring from settings ---------------------------------------------------
def context_from_settings(store: Store, settings: Settings, bounce_alerts: bool = True) -> IntakeContext:
    """An IntakeContext with the configured limits, our own domains and the collector who hears of bounces."""
    limits = ParseLimits(max_message_bytes=settings.imap.max_message_bytes, max_attachment_bytes=settings.imap.max_attachment_bytes)
    configured = [settings.smtp.from_address, *(m.username for m in [settings.imap, *settings.mailboxes])]
    collector = settings.alerts.collector_email or settings.smtp.from_address
    return IntakeContext(store, limits, own_domains(store, configured), [collector], bounce_alerts=bounce_alerts)


def imap_sources(settings: Settings) -> list[Source]:
    """One Source per configured IMAP account (`imap` plus `mailboxes`)."""
    accounts = [a for a in [settings.imap, *settings.mailboxes] if a.host]
    if not accounts:
        raise MailboxError("no IMAP account is configured; set COPILOT_IMAP__HOST, __USERNAME and __PASSWORD (or __OAUTH2_TOKEN)")
    return [Source(a.label, list(a.folders), _imap_connector(a)) for a in accounts]


def _imap_connector(account: ImapSettings) -> Connector:
    def connect() -> Mailbox:
        mailbox = ImapMailbox(account).open()
        if account.processed_folder:
            try:
                mailbox.ensure_folder(account.processed_folder)
            except Disconnected:
                mailbox.close()
                raise
            except MailboxError as exc:
                # Mail is still read and stored; each move is then refused and kept for the next poll,
                # which goes through once someone creates the folder (or frees the name).
                log.warning("%s: the processed folder %s is missing and could not be created: %s",
                            account.label, account.processed_folder, exc)  # fmt: skip
        return mailbox

    return connect


def backoff_from_settings(account: ImapSettings, give_up_after: int | None = None) -> Backoff:
    return Backoff(account.backoff_base_seconds, float(account.backoff_max_seconds), give_up_after)
