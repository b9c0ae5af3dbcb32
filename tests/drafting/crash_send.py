"""Run one send in a child process and kill it with SIGKILL at a chosen point, as a power cut would.

Usage: python -m tests.drafting.crash_send DB DRAFT_ID SMTP_PORT {after_smtp|after_append} IMAP_PORT USER PASSWORD
"""

import os
import signal
import sys
from email.message import EmailMessage

from copilot.config import ImapSettings, Settings, SmtpSettings
from copilot.drafting.appender import ImapAppender
from copilot.drafting.outbox import send_draft
from copilot.mail.sender import SmtpSender
from copilot.store import Store


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KilledAfterSmtp(SmtpSender):
    def send(self, message: EmailMessage) -> None:
        super().send(message)  # the server has answered 250: the mail is accepted
        _die()


class KilledAfterAppend(ImapAppender):
    def append(self, folder: str, message: bytes) -> None:
        super().append(folder, message)
        _die()


def main(argv: list[str]) -> None:
    db, draft_id, smtp_port, point = argv[:4]
    imap = ImapSettings()
    if len(argv) > 4:
        imap = ImapSettings(host="127.0.0.1", port=int(argv[4]), tls=False, username=argv[5], password=argv[6])
    settings = Settings(smtp=SmtpSettings(host="127.0.0.1", port=int(smtp_port), security="none", from_address="ar@ledgerline.example"), imap=imap)
    sender = KilledAfterSmtp(settings.smtp) if point == "after_smtp" else SmtpSender(settings.smtp)
    appender = None
    if imap.host:
        appender = KilledAfterAppend(imap) if point == "after_append" else ImapAppender(imap)
    store = Store.open(db)
    send_draft(store, int(draft_id), sender, settings, "dana", appender)
    print("the send finished without being killed")


if __name__ == "__main__":
    main(sys.argv[1:])
