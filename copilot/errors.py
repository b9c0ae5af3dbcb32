"""The project's exception hierarchy.

Library code raises these; only the edges (CLI, web) turn them into messages or
HTTP responses.
"""


class CopilotError(Exception):
    """Base class for every error the product reports to a user."""


class ConfigError(CopilotError):
    """A setting or a settings file is wrong."""


class PolicyError(CopilotError):
    """The policy file is missing, unreadable or invalid."""


class StoreError(CopilotError):
    """The database cannot be opened or migrated."""


class ImportRejected(CopilotError):
    """A ledger file was refused; `problems` lists (line, message) pairs."""

    def __init__(self, path: str, problems: list[tuple[int, str]]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  line {line}: {msg}" if line else f"  {msg}" for line, msg in problems)
        super().__init__(f"{path} was not imported ({len(problems)} problem(s)); nothing was written:\n{lines}")


class NotFound(CopilotError):
    """A record the user named does not exist."""


class InvalidTransition(CopilotError):
    """A state change that the entity's current state does not allow."""


class MailboxError(CopilotError):
    """The mailbox cannot be reached or refused an operation."""


class ParseError(CopilotError):
    """A message could not be parsed."""


class ClassifierError(CopilotError):
    """A classifier could not produce a result."""


class SendError(CopilotError):
    """An outbound message could not be delivered."""
