"""IDLE is renewed no more often than idle_renew_seconds, and a stop request ends it within a check."""

import threading

from copilot.config import ImapSettings
from copilot.mail.mailbox import imap as imap_module
from copilot.mail.mailbox.imap import ImapMailbox


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class IdleClient:
    """Stands in for IMAPClient's IDLE calls; each check advances the fake clock by its timeout."""

    def __init__(self, clock: FakeClock, responses: dict[int, list] | None = None):
        self.clock, self.responses, self.calls, self.checks = clock, responses or {}, [], 0

    def has_capability(self, name: str) -> bool:
        return name == "IDLE"

    def idle(self):
        self.calls.append("idle")

    def idle_check(self, timeout: float):
        self.checks += 1
        self.clock.now += timeout
        return self.responses.get(self.checks, [])

    def idle_done(self):
        self.calls.append("done")


def mailbox(monkeypatch, client, renew=30) -> ImapMailbox:
    box = ImapMailbox(ImapSettings(host="127.0.0.1", tls=False, username="u", password="p", idle_renew_seconds=renew))
    box._client = client
    return box


def test_idle_is_renewed_after_the_interval_not_before(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(imap_module.time, "monotonic", clock.monotonic)
    client = IdleClient(clock)
    woke = mailbox(monkeypatch, client, renew=30).wait(threading.Event())
    assert woke is False
    assert client.calls == ["idle", "done"]
    assert client.checks == 30  # one-second checks, so a stop request is seen within a second
    assert clock.now - 1000.0 == 30


def test_new_mail_ends_idle_early(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(imap_module.time, "monotonic", clock.monotonic)
    client = IdleClient(clock, {3: [(5, b"EXPUNGE")], 4: [(7, b"EXISTS"), (1, b"RECENT")]})
    assert mailbox(monkeypatch, client).wait(threading.Event()) is True
    assert client.checks == 4 and client.calls == ["idle", "done"]


def test_stop_request_ends_idle(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(imap_module.time, "monotonic", clock.monotonic)
    stop = threading.Event()
    stop.set()
    client = IdleClient(clock)
    assert mailbox(monkeypatch, client).wait(stop) is False
    assert client.checks == 0 and client.calls == ["idle", "done"]
