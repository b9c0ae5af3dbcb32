"""The `Mailbox` seam the poller talks to; real and offline sources implement it."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from threading import Event
from typing import Protocol

from copilot.errors import MailboxError


class Disconnected(MailboxError):
    """The connection dropped or could not be made; the poller reconnects with backoff."""


@dataclass(frozen=True)
class RawMail:
    uid: int
    raw: bytes
    size: int
    truncated: bool = False  # only the header was fetched because the message is over the size limit
    error: str | None = None  # why this one message could not be read; intake quarantines it and goes on


class Mailbox(Protocol):
    """A source of raw messages addressed by (folder, UIDVALIDITY, UID). Reading never changes the mail."""

    name: str
    folders: Sequence[str]
    marks_processed: bool  # whether mark_processed changes the mailbox (a keyword or a move is configured)

    def select(self, folder: str) -> int:
        """Open a folder and return its UIDVALIDITY."""
        ...

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above last_uid in the open folder, ascending."""
        ...

    def fetch(self, uids: Sequence[int]) -> Iterator[RawMail]:
        """Raw messages for uids, in order, without setting \\Seen."""
        ...

    def mark_processed(self, uid: int) -> None:
        """Apply the configured keyword or move (no-op when none is configured)."""
        ...

    def wait(self, stop: Event) -> bool:
        """Block until new mail may be there, the renew interval passes or stop is set; True on a new-mail signal."""
        ...

    def close(self) -> None: ...
