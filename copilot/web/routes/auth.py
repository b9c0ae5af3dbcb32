"""Sign in, sign out, and the home page that sends each role to its own screen."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot.web.deps import SESSION_KEY, CurrentUser, StoreDep
from copilot.web.security import rotate_session, safe_path
from copilot.web.templating import flash, redirect, render
from copilot.web.throttle import LoginThrottle
from copilot.web.users import authenticate, end_session, start_session

router = APIRouter()
HOME = {"collector": "/worklist", "account_team": "/account", "admin": "/worklist"}


@router.get("/login", name="login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_path(next) or "", "error": None, "username": ""})


def client_address(request: Request) -> str:
    """The peer address; behind a reverse proxy, run uvicorn with --proxy-headers so this is the real client."""
    return request.client.host if request.client else "unknown"


@router.post("/login")
def login(request: Request, store: StoreDep, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)], next: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    wait = throttle.begin(username, address)
    if wait:
        # Refused before any password is hashed, so a flood of guesses costs almost nothing.
        response = render(request, "login.html", {"next": safe_path(next) or "", "username": username,
                          "error": f"Too many failed sign-ins. Try again in {wait} seconds."}, status_code=429)  # fmt: skip
        response.headers["Retry-After"] = str(wait)
        return response
    user = authenticate(store, username, password)
    if user is None:
        return render(request, "login.html", {"next": safe_path(next) or "", "username": username,
                                              "error": "Wrong username or password."}, status_code=401)  # fmt: skip
    throttle.succeeded(username, address)
    previous = request.session.get(SESSION_KEY)
    if isinstance(previous, str):
        end_session(store, previous)  # signing in again must not leave the old session alive
    rotate_session(request)
    request.session[SESSION_KEY] = start_session(store, user)
    flash(request, f"Signed in as {user['username']}.")
    return redirect(safe_path(next) or HOME.get(user["role"], "/worklist"))


@router.post("/logout", name="logout")
def logout(request: Request, store: StoreDep) -> Response:
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        end_session(store, token)
    request.session.clear()
    return redirect("/login")


@router.get("/", name="home")
def home(user: CurrentUser) -> Response:
    return redirect(HOME.get(user.role, "/worklist"))
