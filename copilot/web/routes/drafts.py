"""Draft review: the draft beside its context, with edit, approve-and-send (held, with Undo), reject and regenerate.

The worklist's filters travel with the draft pages as query parameters, so "Next draft" and
the page after an action follow the same order and filters as the list the collector came from.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.drafting.hold import held_until
from copilot.drafting.review import get_draft
from copilot.errors import CopilotError
from copilot.redact import redact
from copilot.web import context, queries, services
from copilot.web.deps import Collector, PolicyDep, Scope, SettingsDep, StoreDep
from copilot.web.templating import flash, forget_hold, redirect, remember_hold, render

router = APIRouter(prefix="/drafts")


def filter_query(tier: str = "", segment: str = "", owner: str = "") -> str:
    """The worklist filters as a query string ('' when none is set)."""
    kept = {k: v for k, v in (("tier", tier), ("segment", segment), ("owner", owner)) if v}
    return f"?{urlencode(kept)}" if kept else ""


def _next_url(store: StoreDep, after: int, tier: str, segment: str, owner: str) -> str:
    """The next draft in the worklist's order and filters; the (filtered) worklist after the last one."""
    found = queries.next_draft(store, clock.today(), after, tier=int(tier) if tier.isdigit() else None,
                               segment=segment or None, owner=owner or None)  # fmt: skip
    q = filter_query(tier, segment, owner)
    return f"/drafts/{found}{q}" if found else f"/worklist{q}"


@router.get("/{draft_id}", name="draft")
def review(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep, settings: SettingsDep,
           scope: Scope, tier: str = "", segment: str = "", owner: str = "") -> Response:  # fmt: skip
    data = context.draft_context(store, draft_id, policy, clock.today(), settings)
    scope.require(store, data["customer"]["id"])
    draft = data["draft"]
    return render(request, "draft.html", {
        **data, "tones": services.TONES, "next_url": _next_url(store, draft_id, tier, segment, owner),
        "delivery_unknown": services.delivery_unknown(draft), "q": filter_query(tier, segment, owner),
        "held_until": held_until(draft), "edited": services.has_saved_edits(draft),
        "send_hold_seconds": settings.web.send_hold_seconds,
    })  # fmt: skip


@router.post("/{draft_id}")
def act(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep, settings: SettingsDep,
        action: Annotated[str, Form()], subject: Annotated[str, Form(max_length=500)] = "",
        body: Annotated[str, Form(max_length=20000)] = "",
        override_reason: Annotated[str, Form(max_length=1000)] = "",
        confirm_not_delivered: Annotated[bool, Form()] = False,
        tier: str = "", segment: str = "", owner: str = "") -> Response:  # fmt: skip
    """One form, two buttons: save the edits, or save them and approve and send (held for a few seconds, with Undo)."""
    here = f"/drafts/{draft_id}{filter_query(tier, segment, owner)}"
    services.edit_draft(store, draft_id, subject, body, user, policy)
    if action == "save":
        flash(request, "Draft saved.")
        return redirect(here)
    if action != "send":
        flash(request, f"Unknown action {action!r}.", "error")
        return redirect(here)
    try:
        if get_draft(store, draft_id)["status"] == "draft":
            held = services.hold_send(store, draft_id, user, policy, settings, override_reason)
            remember_hold(request, held, filter_query(tier, segment, owner))
            return redirect(_next_url(store, draft_id, tier, segment, owner))
        # A failed send is retried at once: it was approved before, and the button says "Retry send".
        row = services.approve_and_send(store, draft_id, user, policy, settings, override_reason, confirm_not_delivered)
    except CopilotError as exc:
        # The edits are already saved; show why it was not sent on the draft itself.
        flash(request, redact(f"Not sent: {exc}"), "error")
        return redirect(here)
    return _after_send(request, store, row, tier, segment, owner)


def _after_send(request: Request, store: StoreDep, row: dict, tier: str, segment: str, owner: str) -> Response:
    """Say what became of a send (sent, withdrawn by the send-time check, or failed) and move on."""
    draft_id, here = row["id"], f"/drafts/{row['id']}{filter_query(tier, segment, owner)}"
    if row["status"] == "sent":
        flash(request, f"Draft {draft_id} approved and sent." + (f" {row['note']}" if row.get("note") else ""))
        return redirect(_next_url(store, draft_id, tier, segment, owner))
    if row["status"] == "superseded":
        flash(request, f"Draft {draft_id} was withdrawn, not sent: {row['superseded_reason']}", "error")
        return redirect(here)
    flash(request, f"Draft {draft_id} was approved but sending failed; it is kept for a retry.", "error")
    return redirect(here)


@router.post("/{draft_id}/undo")
def undo(request: Request, draft_id: int, user: Collector, store: StoreDep, tier: str = "", segment: str = "",
         owner: str = "") -> Response:  # fmt: skip
    """Take back a held send; the draft is back in review, unsent."""
    services.undo_send(store, draft_id, user)
    forget_hold(request, draft_id)
    flash(request, f"Sending cancelled: draft {draft_id} is back in review, unsent.")
    return redirect(f"/drafts/{draft_id}{filter_query(tier, segment, owner)}")


@router.post("/{draft_id}/send-now")
def send_now(request: Request, draft_id: int, user: Collector, store: StoreDep, settings: SettingsDep, tier: str = "",
             segment: str = "", owner: str = "") -> Response:  # fmt: skip
    """Skip the rest of the hold."""
    forget_hold(request, draft_id)
    try:
        row = services.send_held_now(store, draft_id, user, settings)
    except CopilotError as exc:
        flash(request, redact(f"Not sent: {exc}"), "error")
        return redirect(f"/drafts/{draft_id}{filter_query(tier, segment, owner)}")
    return _after_send(request, store, row, tier, segment, owner)


@router.post("/{draft_id}/reject")
def reject(request: Request, draft_id: int, user: Collector, store: StoreDep,
           reason: Annotated[str, Form(max_length=1000)] = "", tier: str = "", segment: str = "",
           owner: str = "") -> Response:  # fmt: skip
    services.reject_draft(store, draft_id, reason, user)
    flash(request, f"Draft {draft_id} rejected.")
    return redirect(_next_url(store, draft_id, tier, segment, owner))


@router.post("/{draft_id}/regenerate")
def regenerate(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
               settings: SettingsDep, tone: Annotated[str, Form()], replace_edits: Annotated[bool, Form()] = False,
               tier: str = "", segment: str = "", owner: str = "") -> Response:  # fmt: skip
    """Rewrite warmer or firmer; a draft the collector edited is rewritten only when they say to replace the edits."""
    here = f"/drafts/{draft_id}{filter_query(tier, segment, owner)}"
    if services.has_saved_edits(get_draft(store, draft_id)) and not replace_edits:
        flash(request, "Not rewritten: this draft has your saved edits. Tick \u201creplace my edits\u201d to rewrite it "
                       "anyway.", "error")  # fmt: skip
        return redirect(here)
    services.regenerate_draft(store, draft_id, tone, user, policy, settings)
    flash(request, f"Draft rewritten in a {tone} tone.")
    return redirect(here)


@router.post("/{draft_id}/revive")
def revive(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
           settings: SettingsDep) -> Response:  # fmt: skip
    row = services.revive_draft(store, draft_id, user, policy, settings)
    flash(request, f"Draft {draft_id} is back in review." + (f" {row['note']}" if row.get("note") else ""))
    return redirect(f"/drafts/{draft_id}")
