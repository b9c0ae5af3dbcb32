"""Jinja2 rendering for the web UI: autoescaped templates, display filters and one-shot flash messages."""

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from copilot import clock
from copilot.ledger.money import fmt
from copilot.resources import templates_dir
from copilot.store import loads
from copilot.web.security import csrf_token
from copilot.wording import neutralise_bidi, person, words


def model_name(source: Any, model: Any = None) -> str:
    """Which classifier spoke: 'local-11:661efefd82ef7269' -> 'local model (version 11, build 661efefd)'."""
    text = str(model or "")
    if text.startswith("local-"):
        version, _, digest = text.removeprefix("local-").partition(":")
        build = f", build {digest[:8]}" if digest else ""
        return f"local model (version {version}{build})"
    who = words(source) if source else "model"
    return f"{who} ({text})" if text else who


def money(amount: Any, currency: str | None = None) -> str:
    """'EUR 57,180.00': always with thousands separators and two decimals."""
    if amount in (None, ""):
        return "–"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return fmt(value, currency)


def number(value: Any) -> str:
    """A count with thousands separators."""
    if value in (None, ""):
        return "–"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def team_zone(request: Request | None) -> ZoneInfo:
    """The team's time zone (setting web.timezone), UTC when there is no request to read it from."""
    settings = getattr(getattr(getattr(request, "app", None), "state", None), "settings", None)
    return ZoneInfo(settings.web.timezone if settings is not None else "UTC")


def local_time(value: Any, zone: ZoneInfo) -> str:
    """Pure: '2026-11-16T09:30:00+00:00' -> '16 Nov 2026, 09:30 GMT' in `zone`; a plain date -> '16 Nov 2026'."""
    if value in (None, ""):
        return "–"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if "T" not in text and " " not in text:
            return f"{moment.day} {moment:%b %Y}"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the store keeps UTC
    here = moment.astimezone(zone)
    return f"{here.day} {here:%b %Y, %H:%M} {here.tzname()}"


@jinja2.pass_context
def when(ctx: jinja2.runtime.Context, value: Any) -> str:
    """A stored time in the team's time zone, with the zone's name."""
    return local_time(value, team_zone(ctx.get("request")))


def day(value: Any) -> str:
    """A date as words: '2026-11-16' -> '16 Nov 2026'."""
    if value in (None, ""):
        return "–"
    text = str(value)[:10]
    try:
        d = date.fromisoformat(text)
    except ValueError:
        return str(value)
    return f"{d.day} {d:%b %Y}"


def json_list(value: str | None) -> list:
    return loads(value, []) or []


def shown(value: Any) -> Any:
    """Applied to every `{{ }}` output: names, subjects and filenames from mail cannot reorder what is displayed."""
    if isinstance(value, str):
        cleaned = neutralise_bidi(value)
        if cleaned is not value:
            return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _globals(request: Request) -> dict[str, Any]:
    return {"csrf_token": csrf_token(request), "flashes": request.session.pop("flash", []), "held": _held(request)}


def remember_hold(request: Request, row: dict, query: str = "") -> None:
    """Show this held send, with Undo, on every page until its hold ends."""
    entry = {"id": row["id"], "until": row["send_after"], "subject": row["subject"], "q": query}
    request.session["held"] = [*(h for h in request.session.get("held", []) if h["id"] != row["id"]), entry]


def forget_hold(request: Request, draft_id: int) -> None:
    if "held" in request.session:
        request.session["held"] = [h for h in request.session["held"] if h["id"] != draft_id]


def _held(request: Request) -> list[dict]:
    """Held sends of this session whose hold has not ended yet, each with its time of day for display."""
    now = clock.now()
    live = [h for h in request.session.get("held", []) if datetime.fromisoformat(h["until"]) > now]
    if live != request.session.get("held", []):
        request.session["held"] = live
    return [{**h, "at": datetime.fromisoformat(h["until"]).strftime("%H:%M:%S"),
             "seconds": max(1, round((datetime.fromisoformat(h["until"]) - now).total_seconds()))} for h in live]  # fmt: skip


@lru_cache
def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir() / "web"),
        autoescape=True,  # every value is escaped unless a template says otherwise; ours never do
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,  # runs before autoescaping, on every printed value
    )
    env.filters.update(money=money, when=when, json_list=json_list, words=words, person=person, model_name=model_name,
                       number=number, day=day)
    return Jinja2Templates(env=env, context_processors=[_globals])


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """Render a page; the current user (if any) and the CSRF token are always available."""
    ctx = {"user": getattr(request.state, "user", None), **(context or {})}
    return templates().TemplateResponse(request, name, ctx, status_code=status_code)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """Queue a message for the next page the browser shows."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], {"kind": kind, "text": message}]


def redirect(url: str) -> RedirectResponse:
    """POST-redirect-GET: 303 so a reload never repeats the action."""
    return RedirectResponse(url, status_code=303)
