"""Sign-in, sessions, role checks, CSRF and security headers."""

import pytest
from fastapi.testclient import TestClient

from copilot.config import Settings
from copilot.errors import ConfigError
from copilot.web.app import create_app
from copilot.web.deps import User, current_user, get_store
from copilot.web.security import CSP
from tests.web.conftest import csrf_of, login, open_store

PAGES = ["/", "/worklist", "/drafts/1", "/inbox", "/inbox/unmatched", "/inbox/quarantine", "/messages/1",
         "/dashboard", "/customers", "/customers/C-1001", "/disputes", "/promises", "/account"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_session(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_post_without_a_session_is_refused_and_changes_nothing(client: TestClient, web_settings: Settings, ids: dict):
    token = csrf_of(client)
    response = client.post(f"/drafts/{ids['draft']}/reject", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 401
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(ids["draft"])["status"] == "draft"


def test_wrong_password_is_refused_with_one_message(client: TestClient):
    response = login(client, "casey", "not-the-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    unknown = login(client, "nobody", "whatever-password")
    assert unknown.status_code == 401 and "Wrong username or password." in unknown.text


def test_login_sends_each_role_home_and_logout_ends_the_session(client: TestClient):
    assert login(client, "casey").headers["location"] == "/worklist"
    assert client.get("/worklist").status_code == 200
    token = csrf_of(client, "/worklist")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/worklist").status_code == 303
    assert login(client, "dana").headers["location"] == "/account"


def test_login_follows_next_but_never_off_site(client: TestClient):
    token = csrf_of(client)
    ok = client.post("/login", data={"username": "casey", "password": "correct-horse-battery", "csrf_token": token,
                                     "next": "/inbox?label=dispute"})  # fmt: skip
    assert ok.headers["location"] == "/inbox?label=dispute"
    client.cookies.clear()
    token = csrf_of(client)
    evil = client.post("/login", data={"username": "casey", "password": "correct-horse-battery", "csrf_token": token,
                                       "next": "//evil.example/"})  # fmt: skip
    assert evil.headers["location"] == "/worklist"


def test_login_rotates_the_csrf_token(client: TestClient):
    before = csrf_of(client)
    login(client, "casey")
    after = csrf_of(client, "/worklist")
    assert before != after


def test_login_form_needs_the_csrf_token(client: TestClient):
    client.get("/login")
    response = client.post("/login", data={"username": "casey", "password": "correct-horse-battery"})
    assert response.status_code == 403
    assert "Form expired" in response.text


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_post_with_a_missing_or_wrong_csrf_token_is_rejected(collector: TestClient, web_settings: Settings,
                                                             ids: dict, token: str | None):  # fmt: skip
    data = {"action": "save", "subject": "Changed", "body": "Changed body"}
    if token:
        data["csrf_token"] = token
    response = collector.post(f"/drafts/{ids['draft']}", data=data)
    assert response.status_code == 403
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(ids["draft"])["subject"] != "Changed"


def test_csrf_token_in_a_header_is_accepted(collector: TestClient, ids: dict):
    token = csrf_of(collector, "/worklist")
    response = collector.post(f"/drafts/{ids['draft']}/reject", data={"reason": "paid by phone"},
                              headers={"X-CSRF-Token": token})  # fmt: skip
    assert response.status_code == 303


def test_another_sessions_token_is_rejected(app, collector: TestClient, ids: dict):
    with TestClient(app, follow_redirects=False) as other:
        stolen = csrf_of(other)
    response = collector.post(f"/drafts/{ids['draft']}/reject", data={"reason": "x", "csrf_token": stolen})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/worklist", "/drafts/1", "/inbox", "/inbox/unmatched"])
def test_account_team_cannot_open_collector_screens(account_team: TestClient, path: str):
    response = account_team.get(path)
    assert response.status_code == 403
    assert "account team users cannot open this page" in response.text


def test_account_team_cannot_act_on_drafts_or_pauses(account_team: TestClient, web_settings: Settings, ids: dict):
    with open_store(web_settings) as store:
        pauses = store.db["pauses"].count
    token = csrf_of(account_team, "/account")
    assert account_team.post(f"/drafts/{ids['draft']}", data={"action": "send", "subject": "s", "body": "b",
                                                               "csrf_token": token}).status_code == 403  # fmt: skip
    assert account_team.post("/customers/C-1001/pause", data={"note": "hold", "csrf_token": token}).status_code == 403
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(ids["draft"])["status"] == "draft"
        assert store.db["pauses"].count == pauses


def test_collector_cannot_open_or_act_on_the_account_view(collector: TestClient, ids: dict):
    assert collector.get("/account").status_code == 403
    token = csrf_of(collector, "/worklist")
    assert collector.post(f"/alerts/{ids['alert']}/ack", data={"csrf_token": token}).status_code == 403


def test_admin_may_use_every_screen(admin: TestClient):
    for path in PAGES[1:]:
        assert admin.get(path).status_code == 200, path


def test_disabled_user_loses_the_session_at_once(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        store.db["users"].update(next(store.db["users"].rows_where("username = 'casey'"))["id"], {"active": 0})
    assert collector.get("/worklist").status_code == 303


def test_security_headers_and_csp_on_every_response(client: TestClient):
    for response in (client.get("/login"), client.get("/static/app.css"), client.get("/worklist")):
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP


def test_pages_carry_no_inline_script(admin: TestClient, ids: dict):
    import re

    for path in ("/worklist", f"/drafts/{ids['draft']}", "/inbox", f"/messages/{ids['hostile_raw']}", "/dashboard"):
        html = admin.get(path).text
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts == ['<script src="/static/app.js" defer>'], (path, scripts)
        assert not re.search(r"<[a-zA-Z][^>]*\s(on[a-z]+|style)\s*=", html), path


def test_session_cookie_is_signed_and_http_only(app, client: TestClient):
    response = login(client, "casey")
    cookie = response.headers["set-cookie"]
    assert "copilot_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    value = client.cookies["copilot_session"]
    forged = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    with TestClient(app, follow_redirects=False, cookies={"copilot_session": forged}) as other:
        assert other.get("/worklist").status_code == 303
    with TestClient(app, follow_redirects=False, cookies={"copilot_session": value}) as same:
        assert same.get("/worklist").status_code == 200


def test_create_app_refuses_to_start_without_a_session_key(tmp_path):
    with pytest.raises(ConfigError, match="COPILOT_WEB__SECRET_KEY"):
        create_app(Settings(db_path=tmp_path / "x.db"))
    with pytest.raises(ConfigError, match="too short"):
        create_app(Settings(db_path=tmp_path / "x.db", web={"secret_key": "short"}))
    assert create_app(Settings(db_path=tmp_path / "x.db"), demo=True) is not None


def test_dependency_overrides_give_a_user_and_an_in_memory_store(store, policy, today):
    """The seams tests use: a fixed user and a store that never touches the disk."""
    from copilot.ledger import importer
    from copilot.resources import demo_data_dir
    from tests.web.seed import add_draft

    importer.import_invoices(store, demo_data_dir() / "invoices.csv", policy, actor="test")
    draft = add_draft(store, "C-1002", ["INV-2026-0297"], contact="x@example.test", subject="Only here", body="b")
    app = create_app(Settings(db_path="/nonexistent/never-opened.db", web={"secret_key": "k" * 40}), policy)
    app.dependency_overrides[get_store] = lambda: store
    app.dependency_overrides[current_user] = lambda: User(7, "pat", None, "collector")
    with TestClient(app, follow_redirects=False) as c:
        page = c.get("/worklist")
        assert page.status_code == 200 and "Only here" in page.text
        token = csrf_of(c, "/worklist")
        assert c.post(f"/drafts/{draft}/reject", data={"reason": "dup", "csrf_token": token}).status_code == 303
    assert store.db["drafts"].get(draft)["status"] == "rejected"
    assert store.audit_events("draft", draft)[-1]["actor"] == "user:pat"
    app.dependency_overrides[current_user] = lambda: User(8, "ann", None, "account_team")
    with TestClient(app, follow_redirects=False) as c:
        assert c.get("/worklist").status_code == 403
