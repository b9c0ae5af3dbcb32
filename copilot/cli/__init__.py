"""The `copilot` command line: a thin shell over the library.

Each command lives in its own module and registers itself on `main` below.
Errors from the library (`CopilotError`) become one-line messages here, at the edge.
"""

from copilot.cli import (  # noqa: F401  (each registers its commands)
    aging,
    alerts,
    classify,
    demo,
    eval,
    ledger,
    model,
    plan,
    policy,
    poll,
    quarantine,
    serve,
    tick,
    train,
    users,
)
from copilot.cli.app import main

__all__ = ["main"]
