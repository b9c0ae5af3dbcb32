"""Inbox triage: classified replies, label corrections that re-route, the unmatched queue and quarantine."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from copilot.classify.registry import corrections_waiting
from copilot.labels import LABEL_ACTIONS, LABELS
from copilot.mail import quarantine as quarantine_service
from copilot.web import context, queries, retraining, services
from copilot.web.deps import Collector, CurrentUser, PolicyDep, Scope, SettingsDep, StoreDep
from copilot.web.security import safe_path
from copilot.web.templating import flash, redirect, render

router = APIRouter()
PICKER_LIMIT = 300  # above this many customers the link form asks for an id instead of a list


def _tab_counts(store: StoreDep) -> dict:
    return {
        "unmatched": store.db.execute("select count(*) from messages where direction = 'inbound' and "
                                      "(status = 'unmatched' or customer_id is null)").fetchone()[0],
        "quarantine": store.db.execute("select count(*) from quarantine where status = 'open'").fetchone()[0],
        "corrections_waiting": corrections_waiting(store),
    }  # fmt: skip


@router.get("/inbox", name="inbox")
def triage(request: Request, user: Collector, store: StoreDep, scope: Scope, label: str = "", review: bool = False,
           frustrated: bool = False, page: int = 1) -> Response:  # fmt: skip
    data = queries.inbox(store, label=label if label in LABELS else None, review=review, frustrated=frustrated, page=page,
                         scope=scope)  # fmt: skip
    return render(request, "inbox.html", {**data, "labels": LABELS, "label_actions": {k.value: v for k, v in LABEL_ACTIONS.items()},
                                          "filters": {"label": label, "review": review, "frustrated": frustrated},
                                          "tabs": _tab_counts(store), "tab": "triaged",
                                          "training": retraining.latest_run(store)})  # fmt: skip


@router.get("/inbox/unmatched", name="unmatched")
def unmatched_queue(request: Request, user: Collector, store: StoreDep, scope: Scope) -> Response:
    count = store.db["customers"].count
    choices = queries.customers(store, limit=PICKER_LIMIT, scope=scope) if count <= PICKER_LIMIT else None
    return render(request, "unmatched.html", {"rows": queries.unmatched(store, scope=scope), "choices": choices,
                                              "tabs": _tab_counts(store), "tab": "unmatched"})  # fmt: skip


@router.get("/inbox/quarantine", name="quarantine")
def quarantine(request: Request, user: Collector, store: StoreDep, scope: Scope) -> Response:
    return render(request, "quarantine.html", {"rows": queries.quarantined(store, scope=scope), "tabs": _tab_counts(store),
                                               "tab": "quarantine"})  # fmt: skip


@router.post("/inbox/quarantine/{entry_id}/dismiss")
def dismiss_quarantined(request: Request, entry_id: int, user: Collector, store: StoreDep,
                        reason: Annotated[str, Form(max_length=1000)] = "") -> Response:  # fmt: skip
    quarantine_service.dismiss(store, entry_id, user.actor, reason)
    flash(request, f"Quarantined message #{entry_id} dismissed.")
    return redirect("/inbox/quarantine")


def get_retrain_runner(request: Request) -> retraining.Runner:
    """Where "Retrain now" runs its training: a background thread (tests override this dependency)."""
    return retraining.in_thread


RetrainRunner = Annotated[retraining.Runner, Depends(get_retrain_runner)]


@router.post("/inbox/retrain")
def retrain_now(request: Request, user: Collector, store: StoreDep, settings: SettingsDep, runner: RetrainRunner) -> Response:
    """Start training the local model on this database's corrections; the inbox shows how it ends."""
    try:
        retraining.start_retrain(store, settings, user.actor, runner=runner)
    except retraining.AlreadyRunning as exc:
        flash(request, f"{exc}. The inbox shows the outcome when it ends.", "error")
        return redirect("/inbox")
    flash(request, "Training started. It takes a few seconds; the inbox shows the outcome when it ends.")
    return redirect("/inbox")


@router.get("/messages/{message_id}", name="message")
def message(request: Request, message_id: int, user: CurrentUser, store: StoreDep, scope: Scope) -> Response:
    data = context.message_detail(store, message_id)
    scope.require(store, data["message"]["customer_id"])
    actions = queries.message_actions(store, [message_id]).get(message_id, [])
    return render(request, "message.html", {**data, "actions": actions, "labels": LABELS})


@router.get("/replies/{message_id}")
def old_reply_link(message_id: int, user: CurrentUser) -> Response:
    """Alerts delivered before the link was corrected point here; send them to the reply's page."""
    return redirect(f"/messages/{message_id}")


@router.post("/messages/{message_id}/label")
def correct_label(request: Request, message_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
                  settings: SettingsDep, label: Annotated[str, Form()], reason: Annotated[str, Form(max_length=1000)] = "",
                  back: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    services.correct_label(store, message_id, label, user, reason, policy, settings)
    flash(request, f"Reply {message_id} relabelled as {label.replace('_', ' ')} and re-routed.")
    return redirect(safe_path(back) or f"/messages/{message_id}")


@router.post("/messages/{message_id}/link")
def link(request: Request, message_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
         settings: SettingsDep, customer_id: Annotated[str, Form(max_length=100)]) -> Response:  # fmt: skip
    routed = services.link_to_customer(store, message_id, customer_id.strip(), user, policy, settings)
    then = "and routed" if routed else "; it is triaged on the next poll"
    flash(request, f"Reply {message_id} linked to {customer_id.strip()} {then}.")
    return redirect("/inbox/unmatched")
