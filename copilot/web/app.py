"""The FastAPI application: `create_app(settings)` wires middleware, routers and error pages."""

from pathlib import Path
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from copilot.config import Settings
from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.policy.model import Policy, load_policy
from copilot.redact import install as install_log_redaction
from copilot.redact import redact
from copilot.redact import register as register_secret
from copilot.web.deps import Forbidden, LoginRequired
from copilot.web.routes import ROUTERS
from copilot.web.scope import OutOfScope
from copilot.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    CsrfError,
    HeadAsGet,
    SecurityHeaders,
    served_over_https,
    session_secret,
    verify_csrf,
)
from copilot.web.templating import render
from copilot.web.throttle import LoginThrottle

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings, policy: Policy | None = None, *, demo: bool = False) -> FastAPI:
    """Build the web app for these settings; refuses to start without a session key unless `demo`."""
    secret = session_secret(settings, demo=demo)
    register_secret(secret)  # a demo's random key too
    install_log_redaction()
    app = FastAPI(title="Collector Copilot", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(verify_csrf)])  # fmt: skip
    app.state.settings = settings
    app.state.policy = policy or load_policy(settings.policy_path)
    app.state.demo = demo
    app.state.login_throttle = LoginThrottle()
    https = served_over_https(settings)
    # Order matters: the last added runs first, so headers wrap everything, then the session.
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE,
                       same_site="lax", https_only=https)  # fmt: skip
    app.add_middleware(SecurityHeaders, hsts=https)
    app.add_middleware(HeadAsGet)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _error_pages(app)
    return app


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "error.html", {"title": title, "detail": detail, "status": status}, status_code=status)


def _error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        return _error_page(request, 401, "Please sign in", "Your session has ended. Sign in again and retry.")

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, "Not allowed", str(exc))

    @app.exception_handler(OutOfScope)
    async def _out_of_scope(request: Request, exc: OutOfScope) -> Response:
        return _error_page(request, 403, "Not allowed", str(exc))

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        return _error_page(request, 403, "Form expired",
                           "This form was not accepted because its security token is missing or out of date. "
                           "Go back, reload the page and try again.")  # fmt: skip

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return _error_page(request, 404, "Not found", str(exc))

    @app.exception_handler(InvalidTransition)
    async def _conflict(request: Request, exc: InvalidTransition) -> Response:
        return _error_page(request, 409, "That change is not possible now", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed"}
        return _error_page(request, exc.status_code, titles.get(exc.status_code, "That did not work"),
                           "There is no such page." if exc.status_code == 404 else str(exc.detail))  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return _error_page(request, 400, "That did not work",
                           f"The request was incomplete or malformed ({', '.join(fields) or 'request'}).")  # fmt: skip

    @app.exception_handler(CopilotError)
    async def _copilot_error(request: Request, exc: CopilotError) -> Response:
        return _error_page(request, 400, "That did not work", redact(str(exc)))
