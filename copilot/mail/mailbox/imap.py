"""The IMAP mailbox: imapclient behind the `Mailbox` protocol.

Reading uses BODY.PEEK so `\\Seen` never changes, and a folder is opened read-only
(EXAMINE) unless a processed keyword or move is configured. The socket is opened in
`_connect` and nowhere else, so tests can swap the transport in one place.
"""

import imaplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from threading import Event
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from copilot.config import ImapSettings
from copilot.errors import MailboxError
from copilot.mail.mailbox.base import Disconnected, RawMail

T = TypeVar("T")
# Errors that mean "the connection is gone": reconnect and catch up.
NETWORK_ERRORS = (OSError, socket.timeout, imaplib.IMAP4.abort, EOFError)
MAX_BATCH_BYTES = 32_000_000


def tls_context(settings: ImapSettings) -> ssl.SSLContext | None:
    """The one TLS setup for every IMAP connection (polling, Sent-folder copies, reconcile searches).

    Certificates are verified against the system's CAs plus `ca_file` when set; None means plain
    IMAP, which the settings allow only on loopback.
    """
    if not settings.tls:
        return None
    return ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)


def open_client(settings: ImapSettings, timeout: float | None = None) -> IMAPClient:
    """Open the IMAP socket for these settings; every IMAP connection in the product starts here."""
    return IMAPClient(settings.host, port=settings.port, ssl=settings.tls, ssl_context=tls_context(settings),
                      timeout=timeout or settings.timeout_seconds)  # fmt: skip


def untrusted_certificate(settings: ImapSettings, exc: ssl.SSLCertVerificationError) -> str:
    """The sentence for a certificate we do not trust: retrying cannot fix it, a CA file can."""
    return (f"the TLS certificate of {settings.host} is not trusted: {exc.verify_message} "
            "(set COPILOT_IMAP__CA_FILE for a private CA)")  # fmt: skip


class ImapMailbox:
    """One logged-in IMAP connection to the account described by `settings`."""

    def __init__(self, settings: ImapSettings):
        if not settings.host or not settings.username:
            raise MailboxError("IMAP host and username must be set (COPILOT_IMAP__HOST, COPILOT_IMAP__USERNAME)")
        if settings.password is None and settings.oauth2_token is None:
            raise MailboxError("set an IMAP password or an OAuth2 token (COPILOT_IMAP__PASSWORD or COPILOT_IMAP__OAUTH2_TOKEN)")
        self.settings = settings
        self.name = settings.label
        self.folders: Sequence[str] = list(settings.folders)
        self._client: IMAPClient | None = None
        self._folder: str | None = None
        self.marks_processed = bool(settings.processed_keyword or settings.processed_folder)
        self._readonly = not self.marks_processed

    # -- connection ---------------------------------------------------------
    def _connect(self) -> IMAPClient:
        """Open the socket: TLS by default, plain only on loopback (settings validate that)."""
        return open_client(self.settings)

    def open(self) -> "ImapMailbox":
        """Connect and log in with the password or, when set, an XOAUTH2 bearer token."""
        try:
            client = self._connect()
        except ssl.SSLCertVerificationError as exc:
            # Retrying cannot fix a certificate we do not trust; say so instead of looping.
            raise MailboxError(untrusted_certificate(self.settings, exc)) from None
        except NETWORK_ERRORS as exc:
            raise Disconnected(f"cannot connect to {self.settings.host}:{self.settings.port}: {exc}") from None
        try:
            if self.settings.oauth2_token is not None:
                client.oauth2_login(self.settings.username, self.settings.oauth2_token.get_secret_value())
            else:
                client.login(self.settings.username, self.settings.password.get_secret_value())  # type: ignore[union-attr]
        except LoginError as exc:
            _quietly(client.shutdown)
            raise MailboxError(f"IMAP login as {self.settings.username} was refused: {_text(exc)}") from None
        except NETWORK_ERRORS as exc:
            _quietly(client.shutdown)
            raise Disconnected(f"connection lost while logging in: {exc}") from None
        self._client = client
        return self

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise Disconnected("not connected")
        return self._client

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except NETWORK_ERRORS as exc:
            self._drop()
            raise Disconnected(f"connection lost during {what}: {exc}") from None
        except IMAPClientError as exc:
            raise MailboxError(f"the server refused {what}: {_text(exc)}") from None

    def _drop(self) -> None:
        if self._client is not None:
            _quietly(self._client.shutdown)
        self._client = None

    def close(self) -> None:
        """Log out; a connection that is already broken is just dropped."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (*NETWORK_ERRORS, IMAPClientError):
            _quietly(client.shutdown)

    # -- Mailbox protocol -----------------------------------------------------
    def select(self, folder: str) -> int:
        info = self._call(f"SELECT {folder}", lambda: self.client.select_folder(folder, readonly=self._readonly))
        self._folder = folder
        return int(info[b"UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        # "UID n:*" always answers the highest UID, even when it is below n.
        found = self._call("UID SEARCH", lambda: self.client.search(["UID", f"{last_uid + 1}:*"]))
        return sorted(int(u) for u in found if int(u) > last_uid)

    def fetch(self, uids: Sequence[int]) -> Iterator[RawMail]:
        limit = self.settings.max_message_bytes
        for batch in self._batches(uids):
            big = [u for u, size in batch if size > limit]
            small = [u for u, size in batch if size <= limit]
            bodies, body_errors = self._fetch_each_on_failure(small, b"BODY.PEEK[]")
            heads, head_errors = self._fetch_each_on_failure(big, b"BODY.PEEK[HEADER]")
            for uid, size in batch:
                error = body_errors.get(uid) or head_errors.get(uid)
                if error is not None:
                    yield RawMail(uid, b"", size, error=error)
                elif uid in bodies:
                    raw = bodies[uid].get(b"BODY[]")
                    if isinstance(raw, bytes):
                        yield RawMail(uid, raw, len(raw))
                    else:
                        yield RawMail(uid, b"", size, error="the server answered FETCH without the message body")
                elif uid in heads:
                    yield RawMail(uid, heads[uid].get(b"BODY[HEADER]", b""), size, truncated=True)
            del bodies, heads

    def _fetch_each_on_failure(self, uids: list[int], item: bytes) -> tuple[dict, dict[int, str]]:
        """FETCH `item` for uids at once; when that fails, one by one, so one bad message only fails itself.

        Returns the responses and, per UID that could not be fetched, the error. A dropped connection
        still raises Disconnected: the poller reconnects and fetches again from its cursor.
        """
        if not uids:
            return {}, {}
        try:
            return self._call("FETCH", lambda: self.client.fetch(uids, [item])), {}
        except Disconnected:
            raise
        except Exception as exc:  # noqa: BLE001 -- a server error or unparsable answer for one message in the batch
            if len(uids) == 1:
                return {}, {uids[0]: f"{type(exc).__name__}: {exc}"}
        found: dict = {}
        errors: dict[int, str] = {}
        for uid in uids:
            one, failed = self._fetch_each_on_failure([uid], item)
            found.update(one)
            errors.update(failed)
        return found, errors

    def _batches(self, uids: Sequence[int]) -> Iterator[list[tuple[int, int]]]:
        """Group UIDs so one FETCH carries at most fetch_batch messages and about 32 MB."""
        step = 1000
        for start in range(0, len(uids), step):
            chunk = list(uids[start : start + step])
            sizes = self._call("FETCH RFC822.SIZE", lambda: self.client.fetch(chunk, [b"RFC822.SIZE"]))
            batch: list[tuple[int, int]] = []
            total = 0
            for uid in chunk:
                if uid not in sizes:
                    continue  # expunged since the search
                size = int(sizes[uid].get(b"RFC822.SIZE", 0))
                if batch and (len(batch) >= self.settings.fetch_batch or total + size > MAX_BATCH_BYTES):
                    yield batch
                    batch, total = [], 0
                batch.append((uid, size))
                total += min(size, self.settings.max_message_bytes)
            if batch:
                yield batch

    def mark_processed(self, uid: int) -> None:
        s = self.settings
        if s.processed_keyword:
            self._call(f"STORE keyword {s.processed_keyword}", lambda: self.client.add_flags([uid], [s.processed_keyword]))
        if s.processed_folder:
            if self._call("CAPABILITY", lambda: self.client.has_capability("MOVE")):
                self._call(f"MOVE to {s.processed_folder}", lambda: self.client.move([uid], s.processed_folder))
            else:
                # Without MOVE a move means copy + delete; we never delete, so we only copy.
                self._call(f"COPY to {s.processed_folder}", lambda: self.client.copy([uid], s.processed_folder))

    def ensure_folder(self, folder: str) -> None:
        """Create the processed-mail folder when it is missing."""
        if not self._call("LIST", lambda: self.client.folder_exists(folder)):
            self._call(f"CREATE {folder}", lambda: self.client.create_folder(folder))

    def wait(self, stop: Event) -> bool:
        """IDLE until new mail, the renew interval or stop; poll-sleep where IDLE is missing or turned off."""
        s = self.settings
        if not (s.idle and self._call("CAPABILITY", lambda: self.client.has_capability("IDLE"))):
            stop.wait(s.poll_interval_seconds)
            return False
        self._call("IDLE", self.client.idle)
        deadline = time.monotonic() + s.idle_renew_seconds
        woke = False
        try:
            while not stop.is_set() and not woke:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # Short checks so a stop request is honoured within about a second.
                responses = self._call("IDLE", lambda: self.client.idle_check(timeout=min(1.0, remaining)))
                woke = any(_is_new_mail(r) for r in responses)
        finally:
            if self._client is not None:
                self._call("DONE", self.client.idle_done)
        return woke


def _is_new_mail(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")


def _text(exc: Exception) -> str:
    text = str(exc)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text


def _quietly(fn: Callable[[], Any]) -> None:
    # Closing a connection that is already broken must not hide the error that broke it.
    try:
        fn()
    except (*NETWORK_ERRORS, IMAPClientError):
        pass
