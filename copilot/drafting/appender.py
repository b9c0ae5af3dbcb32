"""Saving a copy of each sent email in the IMAP Sent folder, and finding it again by Message-ID."""

import ssl
from typing import Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from copilot.config import ImapSettings
from copilot.errors import MailboxError
from copilot.mail.mailbox.imap import open_client, untrusted_certificate


class Appender(Protocol):
    """Where sent mail is filed. The outbox also asks it whether a Message-ID is already there."""

    def append(self, folder: str, message: bytes) -> None: ...

    def contains(self, folder: str, message_id: str) -> bool: ...


class ImapAppender:
    """APPEND to the shared mailbox's Sent folder over IMAP (one short connection per call)."""

    def __init__(self, settings: ImapSettings):
        if not settings.host or not settings.username:
            raise MailboxError("no IMAP mailbox is configured (set COPILOT_IMAP__HOST and COPILOT_IMAP__USERNAME)")
        self.settings = settings

    def _connect(self) -> IMAPClient:
        s = self.settings
        try:
            client = open_client(s, timeout=30)  # the same TLS setup (and CA file) as polling
            if s.oauth2_token:
                client.oauth2_login(s.username, s.oauth2_token.get_secret_value())
            else:
                client.login(s.username, s.password.get_secret_value() if s.password else "")
        except ssl.SSLCertVerificationError as exc:
            raise MailboxError(untrusted_certificate(s, exc)) from None
        except (IMAPClientError, OSError) as exc:
            raise MailboxError(f"cannot log in to IMAP {s.host}:{s.port}: {exc}") from None
        return client

    def append(self, folder: str, message: bytes) -> None:
        client = self._connect()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, message, flags=[b"\\Seen"])
        except (IMAPClientError, OSError) as exc:
            raise MailboxError(f"cannot save the sent copy in {folder!r}: {exc}") from None
        finally:
            _logout(client)

    def contains(self, folder: str, message_id: str) -> bool:
        client = self._connect()
        try:
            if not client.folder_exists(folder):
                return False
            client.select_folder(folder, readonly=True)
            return bool(client.search(["HEADER", "Message-ID", message_id]))
        except (IMAPClientError, OSError) as exc:
            raise MailboxError(f"cannot search {folder!r} for {message_id}: {exc}") from None
        finally:
            _logout(client)


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        pass  # the work is done; a failed goodbye changes nothing
