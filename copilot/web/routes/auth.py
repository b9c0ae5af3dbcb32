"""Sign in, sign out, and the home page that sends each role to its own screen."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot.web.deps import CurrentUser, StoreDep
from copilot.web.security import rotate_session, safe_path
from copilot.web.templating import flash, redirect, render
from copilot.web.users import authenticate

router = APIRouter()
HOME = {"collector": "/worklist", "account_team": "/account", "admin": "/worklist"}


@router.get("/login", name="login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_path(next) or "", "error": None, "username": ""})


@router.post("/login")
def login(request: Request, store: StoreDep, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)], next: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    user = authenticate(store, username, password)
    if user is None:
        return render(request, "login.html", {"next": safe_path(next) or "", "username": username,
                                              "error": "Wrong username or password."}, status_code=401)  # fmt: skip
    rotate_session(request)
    request.session["uid"] = user["id"]
    flash(request, f"Signed in as {user['username']}.")
    return redirect(safe_path(next) or HOME.get(user["role"], "/worklist"))


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return redirect("/login")


@router.get("/", name="home")
def home(user: CurrentUser) -> Response:
    return redirect(HOME.get(user.role, "/worklist"))
