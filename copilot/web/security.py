"""Web security: the session secret, CSRF tokens on every POST, and response security headers."""

import secrets

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from copilot.config import Settings
from copilot.errors import ConfigError
from copilot.web.users import SESSION_LIFETIME

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
SESSION_COOKIE = "copilot_session"
SESSION_MAX_AGE = int(SESSION_LIFETIME.total_seconds())  # the server-side session expires at the same time
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_SECRET_LENGTH = 32
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfError(Exception):
    """A state-changing request came without the session's CSRF token."""


def session_secret(settings: Settings, demo: bool = False) -> str:
    """The key that signs session cookies; a demo without one gets a random key for this run."""
    key = settings.web.secret_key.get_secret_value() if settings.web.secret_key else ""
    if key:
        if len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"COPILOT_WEB__SECRET_KEY is too short: use at least {MIN_SECRET_LENGTH} random characters "
                              "(python -c 'import secrets; print(secrets.token_urlsafe(32))').")  # fmt: skip
        return key
    if demo:
        return secrets.token_urlsafe(32)
    raise ConfigError("The web UI needs a session key: set COPILOT_WEB__SECRET_KEY to at least 32 random characters "
                      "(python -c 'import secrets; print(secrets.token_urlsafe(32))').")  # fmt: skip


def served_over_https(settings: Settings) -> bool:
    """Cookies get the Secure flag and responses HSTS when the site is https (or secure_cookies says so)."""
    return settings.web.secure_cookies or settings.web.base_url.strip().lower().startswith("https://")


def safe_path(target: str | None) -> str | None:
    """The target if it is a path on this site, else None: '//host' or 'http://…' would make an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def rotate_session(request: Request) -> None:
    """Start a fresh session (new CSRF token), e.g. at log-in, so an old token cannot be replayed."""
    request.session.clear()
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: every state-changing request must echo the session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get(CSRF_FIELD)
    given = request.headers.get(CSRF_HEADER)
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached on the request, so the route's Form() fields still work
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not expected or not given or not secrets.compare_digest(expected, given):
        raise CsrfError("missing or wrong CSRF token")


class SecurityHeaders:
    """Pure ASGI middleware adding the CSP and friends to every HTTP response."""

    def __init__(self, app: ASGIApp, hsts: bool = False):
        self.app = app
        self.extra = SECURITY_HEADERS + ((b"strict-transport-security", b"max-age=31536000"),) if hsts else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers.extend(h for h in self.extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """Pure ASGI middleware: HEAD is answered as GET would be, headers and status alike, without the body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
