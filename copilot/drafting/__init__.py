"""Drafting and sending: the daily plan, templates and LLM drafts, guardrails, review and the outbox."""

from copilot.drafting.outbox import reconcile_sending, send_auto_drafts, send_draft
from copilot.drafting.plan import PlanResult, plan_day
from copilot.drafting.review import approve_draft, edit_draft, expire_drafts, regenerate_draft, reject_draft

__all__ = [
    "PlanResult", "plan_day", "approve_draft", "edit_draft", "expire_drafts", "regenerate_draft", "reject_draft",
    "reconcile_sending", "send_auto_drafts", "send_draft",
]
