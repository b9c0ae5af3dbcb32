"""Outbound mail: the `Sender` seam, with SMTP for production and a folder outbox for offline use.

Senders take a fully built `EmailMessage` (Message-ID, In-Reply-To and References
already set by the caller) and either deliver it or raise `SendError`.
"""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from copilot.config import Settings, SmtpSettings
from copilot.errors import SendError

# Identities that only ever stand in for a real one: the default address on this machine's own domain,
# the names reserved for examples (RFC 2606), and the sample company's name. Sent over SMTP outside the
# demo, they are refused, whoever the mail is for: a customer's reminder or an account team's alert.
PLACEHOLDER_DOMAINS: tuple[str, ...] = ("localhost", "localdomain", "local", "invalid",
                                        "example.com", "example.net", "example.org")  # fmt: skip
PLACEHOLDER_NAMES: tuple[str, ...] = ("our co", "ourco")


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def new_message_id(smtp: SmtpSettings) -> str:
    """A fresh RFC 5322 Message-ID on our own domain (the setting, else the From address's domain)."""
    return make_msgid(domain=smtp.message_id_domain or smtp.from_address.rpartition("@")[2] or "localhost")


class SmtpSender:
    """Delivers through an SMTP server (STARTTLS, implicit TLS, or plain on loopback for tests)."""

    def __init__(self, settings: SmtpSettings):
        if not settings.host:
            raise SendError("no SMTP server is configured (set COPILOT_SMTP__HOST)")
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            if s.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds,
                                                        context=ssl.create_default_context())  # fmt: skip
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            with client:
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.username and s.password:
                    client.login(s.username, s.password.get_secret_value())
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP delivery to {s.host}:{s.port} failed: {exc}") from None


class FolderSender:
    """Writes each message as an .eml file: the offline outbox used by the demo."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = (message["Message-ID"] or make_msgid()).strip("<>").replace("/", "_")
        try:
            (self.folder / f"{name}.eml").write_bytes(bytes(message))
        except OSError as exc:
            raise SendError(f"cannot write to the outbox folder {self.folder}: {exc}") from None


def make_sender(smtp: SmtpSettings, outbox_dir: Path | None) -> Sender:
    """SMTP when a server is configured, else the folder outbox."""
    if smtp.host:
        return SmtpSender(smtp)
    return FolderSender(outbox_dir or Path("outbox"))


def placeholder_identity(settings: Settings) -> str | None:
    """Why the configured sender identity is a placeholder that must not reach anyone by SMTP, or None."""
    d, smtp = settings.drafting, settings.smtp
    addresses = [smtp.from_address, d.senior_email or smtp.from_address]
    for address in addresses:
        domain = address.rpartition("@")[2].lower().rstrip(".")
        if any(domain == p or domain.endswith("." + p) for p in PLACEHOLDER_DOMAINS):
            return f"the sender address {address} is a placeholder (set COPILOT_SMTP__FROM_ADDRESS)"
    for setting, value in (("SMTP__FROM_NAME", smtp.from_name), ("DRAFTING__COMPANY_NAME", d.company_name)):
        if value and any(value.lower() == p or value.lower().startswith(p + " ") for p in PLACEHOLDER_NAMES):
            return f"the name {value!r} is a placeholder (set COPILOT_{setting})"
    return None


def identity_refusal(sender: Sender, settings: Settings) -> str | None:
    """Why mail may not go out through `sender` with this identity: a placeholder over SMTP outside the demo."""
    smtp = isinstance(sender, SmtpSender) or getattr(sender, "channel", None) == "smtp"
    if settings.demo or not smtp:
        return None
    return placeholder_identity(settings)
