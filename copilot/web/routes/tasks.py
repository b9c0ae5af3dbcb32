"""The task queue: every open task routing created (invoice copies, W-9s, portal uploads...), done in one click."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.web import queries, services
from copilot.web.deps import Collector, CurrentUser, StoreDep
from copilot.web.security import safe_path
from copilot.web.templating import flash, redirect, render

router = APIRouter(prefix="/tasks")


@router.get("", name="tasks")
def tasks(request: Request, user: CurrentUser, store: StoreDep, owner: str = "", due: str = "all",
          page: int = 1) -> Response:  # fmt: skip
    due = due if due in queries.TASK_DUE else "all"
    data = queries.open_tasks(store, clock.today(), owner=owner or None, due=due, page=page)
    return render(request, "tasks.html", {**data, "filters": {"owner": owner, "due": due}, "due_choices": queries.TASK_DUE})


@router.post("/{task_id}/done")
def done(request: Request, task_id: int, user: Collector, store: StoreDep, back: Annotated[str, Form()] = "") -> Response:
    services.finish_task(store, task_id, user)
    flash(request, f"Task {task_id} done.")
    target = safe_path(back)
    return redirect(target if target and target.startswith("/tasks") else "/tasks")
