"""An in-memory Mailbox for unit tests of the poller logic (the real one is exercised against Dovecot)."""

from collections.abc import Iterator, Sequence
from threading import Event

from copilot.mail.mailbox.base import RawMail


class MemoryMailbox:
    """Holds messages as {uid: raw} in one folder; `recreate()` gives it a new UIDVALIDITY."""

    def __init__(self, name: str = "mem", uidvalidity: int = 1):
        self.name = name
        self.folders: Sequence[str] = ["INBOX"]
        self.uidvalidity = uidvalidity
        self.messages: dict[int, bytes] = {}
        self.marked: list[int] = []

    def add(self, *raws: bytes) -> None:
        for raw in raws:
            self.messages[max(self.messages, default=0) + 1] = raw

    def recreate(self) -> None:
        self.uidvalidity += 1
        self.messages = {}

    def select(self, folder: str) -> int:
        return self.uidvalidity

    def uids_after(self, last_uid: int) -> list[int]:
        return sorted(u for u in self.messages if u > last_uid)

    def fetch(self, uids: Sequence[int]) -> Iterator[RawMail]:
        for uid in uids:
            yield RawMail(uid, self.messages[uid], len(self.messages[uid]))

    def mark_processed(self, uid: int) -> None:
        self.marked.append(uid)

    def wait(self, stop: Event) -> bool:
        stop.wait(0.01)
        return False

    def close(self) -> None:
        pass


def break_detector(monkeypatch) -> None:
    """Make intake fail on any message whose subject is "explode", as a bug in one step would."""
    from copilot.mail import inbound

    real = inbound.detect

    def explode(parsed):
        if parsed.subject == "explode":
            raise RuntimeError("detector bug")
        return real(parsed)

    monkeypatch.setattr(inbound, "detect", explode)
