"""The poller: walk each folder from its cursor, store every message once, then watch for more.

The cursor is (mailbox, folder, UIDVALIDITY, last UID) and moves in the same transaction
as the message it passes, so a crash or a dropped connection can neither skip nor repeat
mail. A new UIDVALIDITY restarts the walk from UID 1 and the dedupe key (Message-ID plus
raw hash) drops what is already stored. Lost connections are retried with exponential
backoff and jitter; every reconnect begins with a catch-up search from the cursor.
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


@dataclass
class IntakeStats:
    stored: int = 0
    unmatched: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reconnects: int = 0
    resyncs: int = 0

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
                ctx.store.audit(ctx.actor, "mailbox_cursor", f"{mailbox.name}/{folder}", "resync",
                                reason=f"UIDVALIDITY changed from {cursor[0]} to {uidvalidity}; rereading with dedupe",
                                before={"uidvalidity": cursor[0], "last_uid": cursor[1]},
                                after={"uidvalidity": uidvalidity, "last_uid": 0})  # fmt: skip
            stats.resyncs += 1
            log.warning("%s/%s: UIDVALIDITY changed (%s -> %s); resynchronising", mailbox.name, folder, cursor[0], uidvalidity)
    if remark_last and last_uid and not _quarantined(ctx, Location(mailbox.name, folder, uidvalidity, last_uid)):
        mailbox.mark_processed(last_uid)  # idempotent: a keyword set twice, a UID already moved is ignored
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
        marks: list[int] = []
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
                    marks.append(mail.uid)
        stats.add(batch)
        for uid in marks:
            mailbox.mark_processed(uid)
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


def _quarantined(ctx: IntakeContext, loc: Location) -> bool:
    return bool(ctx.store.db["quarantine"].count_where("mailbox = ? and folder = ? and uidvalidity = ? and uid = ?",
                                                       [loc.mailbox, loc.folder, loc.uidvalidity, loc.uid]))  # fmt: skip


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
        if stats.stored or stats.quarantined or stats.duplicates:
            log.info("%s/%s: %d stored (%d unmatched), %d duplicates, %d quarantined", mailbox.name, folder,
                     stats.stored, stats.unmatched, stats.duplicates, stats.quarantined)  # fmt: skip


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
            mailbox.ensure_folder(account.processed_folder)
        return mailbox

    return connect


def backoff_from_settings(account: ImapSettings, give_up_after: int | None = None) -> Backoff:
    return Backoff(account.backoff_base_seconds, float(account.backoff_max_seconds), give_up_after)
