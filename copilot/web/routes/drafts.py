"""Draft review: the draft beside its context, with edit, approve-and-send, reject and regenerate."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.errors import CopilotError
from copilot.web import context, services
from copilot.web.deps import Collector, PolicyDep, SettingsDep, StoreDep
from copilot.web.templating import flash, redirect, render

router = APIRouter(prefix="/drafts")


def _next_draft(store: StoreDep, after: int) -> str:
    # After acting on a draft, go straight to the next one waiting: the worklist is the fallback.
    row = store.db.execute("select id from drafts where status = 'draft' and id != ? order by id limit 1", [after]).fetchone()
    return f"/drafts/{row[0]}" if row else "/worklist"


@router.get("/{draft_id}", name="draft")
def review(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
           settings: SettingsDep) -> Response:  # fmt: skip
    data = context.draft_context(store, draft_id, policy, clock.today(), settings)
    return render(request, "draft.html", {**data, "tones": services.TONES, "next_url": _next_draft(store, draft_id),
                                          "delivery_unknown": services.delivery_unknown(data["draft"])})  # fmt: skip


@router.post("/{draft_id}")
def act(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep, settings: SettingsDep,
        action: Annotated[str, Form()], subject: Annotated[str, Form(max_length=500)] = "",
        body: Annotated[str, Form(max_length=20000)] = "",
        override_reason: Annotated[str, Form(max_length=1000)] = "",
        confirm_not_delivered: Annotated[bool, Form()] = False) -> Response:  # fmt: skip
    """One form, two buttons: save the edits, or save them and approve and send."""
    services.edit_draft(store, draft_id, subject, body, user, policy)
    if action == "save":
        flash(request, "Draft saved.")
        return redirect(f"/drafts/{draft_id}")
    if action != "send":
        flash(request, f"Unknown action {action!r}.", "error")
        return redirect(f"/drafts/{draft_id}")
    try:
        row = services.approve_and_send(store, draft_id, user, policy, settings, override_reason, confirm_not_delivered)
    except CopilotError as exc:
        # The edits are already saved; show why it was not sent on the draft itself.
        flash(request, f"Not sent: {exc}", "error")
        return redirect(f"/drafts/{draft_id}")
    if row["status"] == "sent":
        flash(request, f"Draft {draft_id} approved and sent.")
        return redirect(_next_draft(store, draft_id))
    flash(request, f"Draft {draft_id} was approved but sending failed; it is kept for a retry.", "error")
    return redirect(f"/drafts/{draft_id}")


@router.post("/{draft_id}/reject")
def reject(request: Request, draft_id: int, user: Collector, store: StoreDep,
           reason: Annotated[str, Form(max_length=1000)] = "") -> Response:  # fmt: skip
    services.reject_draft(store, draft_id, reason, user)
    flash(request, f"Draft {draft_id} rejected.")
    return redirect(_next_draft(store, draft_id))


@router.post("/{draft_id}/regenerate")
def regenerate(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
               settings: SettingsDep, tone: Annotated[str, Form()]) -> Response:  # fmt: skip
    services.regenerate_draft(store, draft_id, tone, user, policy, settings)
    flash(request, f"Draft rewritten in a {tone} tone.")
    return redirect(f"/drafts/{draft_id}")
