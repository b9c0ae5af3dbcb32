"""Draft review: the draft beside its context, with edit, approve-and-send (held, with Undo), reject and regenerate.

The worklist's filters travel with the draft pages as query parameters, so "Next draft" and
the page after an action follow the same order and filters as the list the collector came from.
"""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.drafting.hold import held_until
from copilot.drafting.review import get_draft
from copilot.errors import CopilotError
from copilot.redact import redact
from copilot.web import context, queries, services
from copilot.web.deps import Collector, PolicyDep, Scope, SettingsDep, StoreDep
from copilot.web.scope import AccountScope
from copilot.web.templating import flash, forget_hold, redirect, remember_hold, render

router = APIRouter(prefix="/drafts")


@dataclass(frozen=True)
class ListView:
    """The list a draft page was opened from: the worklist with its filters and sort, or a history tab (Stale)."""

    tier: str = ""
    segment: str = ""
    owner: str = ""
    sort: str = ""
    tab: str = ""

    @property
    def query(self) -> str:
        """This list as a query string ('' for the default worklist), carried by every link and form of the page."""
        if self.tab in queries.HISTORY_TABS:
            return f"?{urlencode({'tab': self.tab})}"
        sort = self.sort if self.sort in queries.SORTS and self.sort != "amount" else ""
        kept = {k: v for k, v in (("tier", self.tier), ("segment", self.segment), ("owner", self.owner),
                                  ("sort", sort)) if v}  # fmt: skip
        return f"?{urlencode(kept)}" if kept else ""

    def next_draft(self, store: StoreDep, settings: SettingsDep, scope: AccountScope, after: int) -> int | None:
        """The draft after `after` in this list, by the same query and order as the list's own page."""
        return queries.next_draft(store, after, settings.reporting, tier=int(self.tier) if self.tier.isdigit() else None,
                                  segment=self.segment or None, owner=self.owner or None, sort=self.sort or "amount",
                                  tab=self.tab, scope=scope)  # fmt: skip

    def next_url(self, store: StoreDep, settings: SettingsDep, scope: AccountScope, after: int) -> str:
        """The next draft's page in this list; the list itself after the last one."""
        found = self.next_draft(store, settings, scope, after)
        return f"/drafts/{found}{self.query}" if found else f"/worklist{self.query}"


def list_view(tier: str = "", segment: str = "", owner: str = "", sort: str = "", tab: str = "") -> ListView:
    return ListView(tier, segment, owner, sort, tab)


View = Annotated[ListView, Depends(list_view)]


def filter_query(tier: str = "", segment: str = "", owner: str = "", sort: str = "") -> str:
    """The worklist's filters and sort as a query string ('' when none is set)."""
    return ListView(tier, segment, owner, sort).query


@router.get("/{draft_id}", name="draft")
def review(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep, settings: SettingsDep,
           scope: Scope, view: View) -> Response:  # fmt: skip
    data = context.draft_context(store, draft_id, policy, clock.today(), settings)
    scope.require(store, data["customer"]["id"])
    draft = data["draft"]
    following = view.next_draft(store, settings, scope, draft_id)
    return render(request, "draft.html", {
        **data, "tones": services.TONES, "next_url": f"/drafts/{following}{view.query}" if following else f"/worklist{view.query}",
        "has_next": following is not None, "delivery_unknown": services.delivery_unknown(draft), "q": view.query,
        "held_until": held_until(draft), "edited": services.has_saved_edits(draft),
        "send_hold_seconds": settings.web.send_hold_seconds,
    })  # fmt: skip


@router.post("/{draft_id}")
def act(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep, settings: SettingsDep,
        scope: Scope, view: View, action: Annotated[str, Form()], subject: Annotated[str, Form(max_length=500)] = "",
        body: Annotated[str, Form(max_length=20000)] = "",
        override_reason: Annotated[str, Form(max_length=1000)] = "",
        confirm_not_delivered: Annotated[bool, Form()] = False) -> Response:  # fmt: skip
    """One form, two buttons: save the edits, or save them and approve and send (held for a few seconds, with Undo)."""
    here = f"/drafts/{draft_id}{view.query}"
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
            remember_hold(request, held, view.query)
            return redirect(view.next_url(store, settings, scope, draft_id))
        # A failed send is retried at once: it was approved before, and the button says "Retry send".
        row = services.approve_and_send(store, draft_id, user, policy, settings, override_reason, confirm_not_delivered)
    except CopilotError as exc:
        # The edits are already saved; show why it was not sent on the draft itself.
        flash(request, redact(f"Not sent: {exc}"), "error")
        return redirect(here)
    return _after_send(request, store, settings, scope, row, view)


def _after_send(request: Request, store: StoreDep, settings: SettingsDep, scope: AccountScope, row: dict,
                view: ListView) -> Response:  # fmt: skip
    """Say what became of a send (sent, withdrawn by the send-time check, or failed) and move on."""
    draft_id, here = row["id"], f"/drafts/{row['id']}{view.query}"
    if row["status"] == "sent":
        flash(request, f"Draft {draft_id} approved and sent." + (f" {row['note']}" if row.get("note") else ""))
        return redirect(view.next_url(store, settings, scope, draft_id))
    if row["status"] == "superseded":
        flash(request, f"Draft {draft_id} was withdrawn, not sent: {row['superseded_reason']}", "error")
        return redirect(here)
    flash(request, f"Draft {draft_id} was approved but sending failed; it is kept for a retry.", "error")
    return redirect(here)


@router.post("/{draft_id}/undo")
def undo(request: Request, draft_id: int, user: Collector, store: StoreDep, view: View) -> Response:
    """Take back a held send; the draft is back in review, unsent."""
    services.undo_send(store, draft_id, user)
    forget_hold(request, draft_id)
    flash(request, f"Sending cancelled: draft {draft_id} is back in review, unsent.")
    return redirect(f"/drafts/{draft_id}{view.query}")


@router.post("/{draft_id}/send-now")
def send_now(request: Request, draft_id: int, user: Collector, store: StoreDep, settings: SettingsDep, scope: Scope,
             view: View) -> Response:  # fmt: skip
    """Skip the rest of the hold."""
    forget_hold(request, draft_id)
    try:
        row = services.send_held_now(store, draft_id, user, settings)
    except CopilotError as exc:
        flash(request, redact(f"Not sent: {exc}"), "error")
        return redirect(f"/drafts/{draft_id}{view.query}")
    return _after_send(request, store, settings, scope, row, view)


@router.post("/{draft_id}/reject")
def reject(request: Request, draft_id: int, user: Collector, store: StoreDep, settings: SettingsDep, scope: Scope,
           view: View, reason: Annotated[str, Form(max_length=1000)] = "") -> Response:  # fmt: skip
    services.reject_draft(store, draft_id, reason, user)
    flash(request, f"Draft {draft_id} rejected.")
    return redirect(view.next_url(store, settings, scope, draft_id))


@router.post("/{draft_id}/regenerate")
def regenerate(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
               settings: SettingsDep, view: View, tone: Annotated[str, Form()],
               replace_edits: Annotated[bool, Form()] = False) -> Response:  # fmt: skip
    """Rewrite warmer or firmer; a draft the collector edited is rewritten only when they say to replace the edits."""
    here = f"/drafts/{draft_id}{view.query}"
    if services.has_saved_edits(get_draft(store, draft_id)) and not replace_edits:
        flash(request, "Not rewritten: this draft has your saved edits. Tick \u201creplace my edits\u201d to rewrite it "
                       "anyway.", "error")  # fmt: skip
        return redirect(here)
    services.regenerate_draft(store, draft_id, tone, user, policy, settings)
    flash(request, f"Draft rewritten in a {tone} tone.")
    return redirect(here)


@router.post("/{draft_id}/revive")
def revive(request: Request, draft_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
           settings: SettingsDep, view: View) -> Response:  # fmt: skip
    row = services.revive_draft(store, draft_id, user, policy, settings)
    flash(request, f"Draft {draft_id} is back in review." + (f" {row['note']}" if row.get("note") else ""))
    return redirect(f"/drafts/{draft_id}{view.query}")
