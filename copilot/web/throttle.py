"""Sign-in throttling: failed attempts per account and per client address, with exponential back-off.

Every attempt is counted as a failure before the password is checked and forgiven when it
succeeds, so a burst of parallel guesses is throttled as surely as a slow series. The clock
is injected; nothing here sleeps.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


@dataclass(frozen=True)
class Rule:
    """`free` failures are allowed; each one after that doubles the wait, from `base` up to `cap` seconds."""

    free: int
    base: float
    cap: float

    def wait(self, failures: int) -> float:
        over = failures - self.free
        return 0.0 if over < 0 else min(self.cap, self.base * 2**over)


ACCOUNT = Rule(free=5, base=2.0, cap=15 * 60)
# An office behind one address has many people; the address rule is looser than the account rule.
ADDRESS = Rule(free=20, base=2.0, cap=15 * 60)


class LoginThrottle:
    """Decides whether a sign-in may be tried now; `now` is a monotonic clock in seconds (injectable)."""

    def __init__(self, *, account: Rule = ACCOUNT, address: Rule = ADDRESS, forget_after: float = 24 * 3600,
                 max_entries: int = 100_000, now: Callable[[], float] = time.monotonic):  # fmt: skip
        self.rules = {"account": account, "address": address}
        self.forget_after = forget_after
        self.max_entries = max_entries
        self.now = now
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, address: str) -> list[tuple[str, str]]:
        return [("account", username.strip().lower()), ("address", address)]

    def begin(self, username: str, address: str) -> int:
        """0 when the attempt may go ahead (it is counted as a failure until `succeeded`), else the seconds to wait."""
        now = self.now()
        keys = self.keys(username, address)
        with self._lock:
            self._prune(now)
            waits = [self._records[k].locked_until - now for k in keys if k in self._records]
            wait = max(waits, default=0.0)
            if wait > 0:
                return max(1, math.ceil(wait))
            for key in keys:
                record = self._records.setdefault(key, _Record())
                record.failures += 1
                record.last = now
                record.locked_until = now + self.rules[key[0]].wait(record.failures)
            return 0

    def succeeded(self, username: str, address: str) -> None:
        """The password was right: the account starts afresh, and the address gets this attempt back."""
        account, address_key = self.keys(username, address)
        with self._lock:
            self._records.pop(account, None)
            record = self._records.get(address_key)
            if record is not None:
                record.failures = max(0, record.failures - 1)
                record.locked_until = record.last + self.rules["address"].wait(record.failures)

    def _prune(self, now: float) -> None:
        # Bounded memory: forget quiet keys, and the oldest ones if an attacker sprays names.
        if len(self._records) < self.max_entries:
            return
        for key in [k for k, r in self._records.items() if now - r.last > self.forget_after and r.locked_until <= now]:
            del self._records[key]
        if len(self._records) >= self.max_entries:
            oldest = sorted(self._records, key=lambda k: self._records[k].last)[: len(self._records) // 2]
            for key in oldest:
                del self._records[key]
