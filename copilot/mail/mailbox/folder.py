"""An offline mailbox: a directory of .eml files or a Maildir, read in name order."""

import mailbox as stdlib_mailbox
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from threading import Event

from copilot.errors import MailboxError
from copilot.mail.mailbox.base import RawMail


class FolderMailbox:
    """Serves `*.eml` files (or a Maildir's messages) as UIDs 1..N in sorted-name order; never writes."""

    def __init__(self, path: Path, name: str | None = None, poll_seconds: float = 5.0):
        self.path = Path(path)
        if not self.path.is_dir():
            raise MailboxError(f"mail folder {self.path} does not exist or is not a directory")
        self.name = name or f"folder:{self.path.name}"
        self.folders: Sequence[str] = ["INBOX"]
        self.marks_processed = False
        self.poll_seconds = poll_seconds
        self._items: list[Path | str] = []
        self._maildir: stdlib_mailbox.Maildir | None = None

    def select(self, folder: str) -> int:
        if (self.path / "cur").is_dir() and (self.path / "new").is_dir():
            self._maildir = stdlib_mailbox.Maildir(self.path, create=False)
            self._items = sorted(self._maildir.keys())
        else:
            self._items = sorted(self.path.glob("*.eml"))
        # Stable per directory, so the cursor survives restarts.
        return zlib.crc32(str(self.path.resolve()).encode()) or 1

    def uids_after(self, last_uid: int) -> list[int]:
        return list(range(last_uid + 1, len(self._items) + 1))

    def fetch(self, uids: Sequence[int]) -> Iterator[RawMail]:
        for uid in uids:
            if not 1 <= uid <= len(self._items):
                continue  # gone since the folder was read, as IMAP skips an expunged UID
            item = self._items[uid - 1]
            try:
                raw = item.read_bytes() if isinstance(item, Path) else self._maildir.get_bytes(item)  # type: ignore[union-attr]
            except (OSError, KeyError, ValueError) as exc:  # one unreadable file is quarantined, not fatal
                yield RawMail(uid, b"", 0, error=f"{item}: {type(exc).__name__}: {exc}")
                continue
            yield RawMail(uid, raw, len(raw))

    def mark_processed(self, uid: int) -> None:
        return None

    def wait(self, stop: Event) -> bool:
        stop.wait(self.poll_seconds)
        return False

    def close(self) -> None:
        return None
