"""Routing one reply at a time: a reply that cannot be routed goes to a person, and the rest are routed.

Each reply is routed in a transaction of its own. When routing raises (bad data, a constraint the
database refuses, a bug in one route) that transaction is rolled back, so nothing of the failed
decision stays behind; the reply is then set to `needs_review` with the error in words and audited.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from copilot.errors import CopilotError
from copilot.store import Store

log = logging.getLogger("copilot.routing")
Router = Callable[[Store, int], object]


@dataclass
class RoutingReport:
    """What a routing pass did: the replies routed, and those sent to review because routing failed."""

    routed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # message id -> why, in words

    def add(self, other: "RoutingReport") -> None:
        self.routed.extend(other.routed)
        self.failed.update(other.failed)

    def failures_line(self) -> str:
        """One line naming the replies that could not be routed ('' when none)."""
        if not self.failed:
            return ""
        ids = ", ".join(f"#{mid}" for mid in sorted(self.failed))
        return f"{len(self.failed)} could not be routed and wait for review ({ids})"


def failure_in_words(exc: BaseException) -> str:
    """Why routing a reply failed, as the review queue and the audit trail show it."""
    detail = str(exc) if isinstance(exc, CopilotError) else f"{type(exc).__name__}: {exc}"
    return f"routing failed and nothing it would have changed was kept: {detail}"[:500]


def route_isolated(store: Store, message_id: int, router: Router, actor: str, report: RoutingReport | None = None) -> bool:
    """Route one reply in its own transaction; on failure roll back only it and send it to review.

    Returns whether it was routed. KeyboardInterrupt and other BaseExceptions still stop the run:
    they say nothing about this reply.
    """
    report = report if report is not None else RoutingReport()
    try:
        with store.transaction():
            router(store, message_id)
    except Exception as exc:  # noqa: BLE001 -- isolation boundary: one reply that cannot be routed never stops the rest
        log.exception("message %s could not be routed; it waits for review", message_id)
        reason = failure_in_words(exc)
        send_to_review(store, message_id, reason, actor)
        report.failed[message_id] = reason
        return False
    report.routed.append(message_id)
    return True


def send_to_review(store: Store, message_id: int, reason: str, actor: str) -> None:
    """Put a reply in the review queue with `reason`, audited; a reply that no longer exists is only logged."""
    with store.transaction():
        row = store.conn.execute("select status, review_reason, customer_id from messages where id = ?",
                                 [message_id]).fetchone()  # fmt: skip
        if row is None:
            log.warning("message %s could not be routed and no longer exists: %s", message_id, reason)
            return
        status, old_reason, customer_id = row
        store.conn.execute("update messages set status = 'needs_review', review_reason = ? where id = ?", [reason, message_id])
        store.audit(actor, "message", message_id, "routing_failed", reason=reason,
                    before={"status": status, "review_reason": old_reason},
                    after={"status": "needs_review", "review_reason": reason}, customer_id=customer_id)  # fmt: skip
