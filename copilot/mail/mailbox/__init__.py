"""Mail sources behind one small protocol: a real IMAP account, or a folder of .eml files / a Maildir."""

from copilot.mail.mailbox.base import Disconnected, Mailbox, RawMail
from copilot.mail.mailbox.folder import FolderMailbox

__all__ = ["Disconnected", "FolderMailbox", "Mailbox", "RawMail"]
