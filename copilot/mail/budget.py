"""A per-message time budget: caps bound each step, and a deadline checked between steps stops the rest.

Python cannot interrupt a running regex, so no step may be unbounded: every parse and extraction
step reads a capped amount of text. The budget is the second line: code that handles one message
calls `checkpoint("stage")` between its steps, and once the budget is spent that raises
`BudgetExceeded`, so the caller stores what it has, flags the message for review and moves on
instead of holding back its batch. The clock is injectable, so tests need no real time.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from copilot.errors import CopilotError

MESSAGE_BUDGET_SECONDS = 5.0  # per message and per phase (parsing at intake, classifying at triage)


class BudgetExceeded(CopilotError):
    """One message used up its time budget; the message is kept and sent to review."""


@dataclass
class Budget:
    """`seconds` from creation, measured with `clock` (time.monotonic unless a test passes its own)."""

    seconds: float = MESSAGE_BUDGET_SECONDS
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    stage: str | None = field(default=None, init=False)  # the last stage passed, for the error

    def __post_init__(self) -> None:
        self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def check(self, stage: str) -> None:
        """Raise BudgetExceeded when the budget is spent; `stage` names the step about to start."""
        elapsed = self.elapsed()
        if elapsed > self.seconds:
            raise BudgetExceeded(f"over the {self.seconds:g} s budget for one message ({elapsed:.2f} s) before {stage}")
        self.stage = stage


BudgetFactory = Callable[[], Budget]
_CURRENT: ContextVar[Budget | None] = ContextVar("copilot_message_budget", default=None)


@contextmanager
def within(budget: Budget | None) -> Iterator[Budget | None]:
    """Make `budget` the one `checkpoint` checks while the block runs (None: no budget)."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def checkpoint(stage: str) -> None:
    """Check the current message's budget, if one is set, before `stage`."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.check(stage)
