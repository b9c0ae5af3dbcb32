"""Routing: triage of stored replies, what each one changes in an account's collection state, alerts, and the human steps that undo it."""

from copilot.routing.actions import Action
from copilot.routing.alerts import acknowledge_alert, deliver_pending_alerts
from copilot.routing.decide import decide
from copilot.routing.scheduler import on_payments, tick
from copilot.routing.service import (
    clear_frustration_pause,
    complete_task,
    make_router,
    override_label,
    resolve_dispute,
    route_classified,
    route_message,
)

__all__ = [
    "Action",
    "acknowledge_alert",
    "clear_frustration_pause",
    "complete_task",
    "decide",
    "deliver_pending_alerts",
    "make_router",
    "on_payments",
    "override_label",
    "resolve_dispute",
    "route_classified",
    "route_message",
    "tick",
]
