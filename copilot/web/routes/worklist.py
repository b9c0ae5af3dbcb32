"""The worklist: drafts waiting for review with why each is here today, bulk approval of routine ones, and history."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.errors import CopilotError
from copilot.policy.model import SEGMENTS
from copilot.web import queries, services
from copilot.web.deps import Collector, PolicyDep, Scope, SettingsDep, StoreDep
from copilot.web.routes.drafts import filter_query
from copilot.web.templating import flash, redirect, render

router = APIRouter()
BULK_LIMIT = 200  # drafts approved in one request; a larger selection is refused rather than half-done


@router.get("/worklist", name="worklist")
def worklist(request: Request, user: Collector, store: StoreDep, settings: SettingsDep, scope: Scope, tier: str = "",
             segment: str = "", owner: str = "", sort: str = "amount", page: int = 1, tab: str = "") -> Response:  # fmt: skip
    history = queries.history_counts(store)
    if tab in queries.HISTORY_TABS:
        data = queries.draft_history(store, tab, page=page)
        return render(request, "worklist_history.html", {**data, "history": history})
    tier_n = int(tier) if tier.isdigit() else None
    data = queries.worklist(store, clock.today(), settings.reporting, tier=tier_n, segment=segment or None,
                            owner=owner or None, sort=sort, page=page, scope=scope)  # fmt: skip
    return render(request, "worklist.html", {**data, "segments": SEGMENTS, "tiers": (1, 2, 3, 4), "history": history,
                                             "sorts": queries.SORTS, "tab": "waiting",
                                             "filters": {"tier": tier_n, "segment": segment, "owner": owner},
                                             "filter_query": filter_query(tier, segment, owner, sort)})  # fmt: skip


@router.post("/worklist/approve")
def bulk_approve(request: Request, user: Collector, store: StoreDep, policy: PolicyDep, settings: SettingsDep,
                 draft_id: Annotated[list[int], Form()], back: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    """Approve and send the chosen routine drafts: Tier 1, still waiting, with no guardrail flag."""
    chosen = sorted(set(draft_id))
    if len(chosen) > BULK_LIMIT:
        raise CopilotError(f"choose at most {BULK_LIMIT} drafts at a time (got {len(chosen)})")
    outcome = services.bulk_approve(store, chosen, user, policy, settings)
    parts = [f"{len(outcome['sent'])} sent"]
    if outcome["failed"]:
        parts.append(f"{len(outcome['failed'])} approved but not delivered (kept for a retry)")
    if outcome["refused"]:
        parts.append("not approved: " + "; ".join(f"#{i} {why}" for i, why in outcome["refused"]))
    flash(request, "Bulk approval: " + ", ".join(parts) + ".", "error" if outcome["refused"] or outcome["failed"] else "ok")
    return redirect(back if back.startswith("/worklist") else "/worklist")
