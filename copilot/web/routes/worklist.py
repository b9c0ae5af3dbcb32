"""The worklist: drafts waiting for review, in priority order, with counts and filters."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot import clock
from copilot.policy.model import SEGMENTS
from copilot.web import queries
from copilot.web.deps import Collector, Scope, StoreDep
from copilot.web.routes.drafts import filter_query
from copilot.web.templating import render

router = APIRouter()


@router.get("/worklist", name="worklist")
def worklist(request: Request, user: Collector, store: StoreDep, scope: Scope, tier: str = "", segment: str = "",
             owner: str = "") -> Response:  # fmt: skip
    tier_n = int(tier) if tier.isdigit() else None
    data = queries.worklist(store, clock.today(), tier=tier_n, segment=segment or None, owner=owner or None, scope=scope)
    return render(request, "worklist.html", {**data, "segments": SEGMENTS, "tiers": (1, 2, 3, 4),
                                             "filters": {"tier": tier_n, "segment": segment, "owner": owner},
                                             "filter_query": filter_query(tier, segment, owner)})  # fmt: skip
