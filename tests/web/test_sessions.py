"""Sessions end on the server; sign-in is throttled and its hashing bounded; cookies, HSTS and HEAD."""

import threading
import time

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from copilot.cli import main
from copilot.config import Settings
from copilot.store import Store
from copilot.web import users
from copilot.web.app import create_app
from copilot.web.throttle import LoginThrottle, Rule
from tests.web.conftest import csrf_of, login, open_store, signed_in
from tests.web.seed import PASSWORD


def _replay(app, cookie: str) -> TestClient:
    """A second browser holding a copy of the session cookie taken earlier."""
    return TestClient(app, follow_redirects=False, cookies={"copilot_session": cookie})


# -- sessions end on the server -------------------------------------------------
def test_a_cookie_saved_before_logout_can_neither_read_nor_write(app, collector: TestClient, web_settings: Settings,
                                                                 ids: dict):  # fmt: skip
    saved = collector.cookies["copilot_session"]
    token = csrf_of(collector, "/worklist")
    assert collector.post("/logout", data={"csrf_token": token}).status_code == 303
    with _replay(app, saved) as thief:
        assert thief.get("/worklist").status_code == 303
        refused = thief.post(f"/drafts/{ids['draft']}/reject", data={"reason": "x", "csrf_token": token})
        assert refused.status_code == 401
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(ids["draft"])["status"] == "draft"
        assert store.db["web_sessions"].count == 0
        actions = [e["action"] for e in store.audit_events("user", ids["users"]["casey"])]
    assert actions[-2:] == ["signed_in", "signed_out"]


def test_logout_ends_only_that_session(app, collector: TestClient):
    with signed_in(app, "casey") as other_browser:
        token = csrf_of(collector, "/worklist")
        collector.post("/logout", data={"csrf_token": token})
        assert other_browser.get("/worklist").status_code == 200


def test_a_password_change_ends_every_session(app, collector: TestClient, web_settings: Settings):
    saved = collector.cookies["copilot_session"]
    with open_store(web_settings) as store:
        assert users.set_password(store, "casey", "a-brand-new-password", actor="test") == 1
    assert collector.get("/worklist").status_code == 303
    with _replay(app, saved) as thief:
        assert thief.get("/worklist").status_code == 303
    with TestClient(app, follow_redirects=False) as fresh:
        assert login(fresh, "casey", PASSWORD).status_code == 401
    with TestClient(app, follow_redirects=False) as fresh:
        assert login(fresh, "casey", "a-brand-new-password").status_code == 303


def test_disabling_a_user_ends_their_sessions_and_enabling_does_not_revive_them(app, collector: TestClient,
                                                                                 web_settings: Settings):  # fmt: skip
    saved = collector.cookies["copilot_session"]
    with open_store(web_settings) as store:
        assert users.set_active(store, "casey", False, actor="test", reason="left the team") == 1
        users.set_active(store, "casey", True, actor="test")
        events = [e["action"] for e in store.audit_events("user", next(store.db["users"].rows_where("username='casey'"))["id"])]
    assert events[-2:] == ["disabled", "enabled"]
    with _replay(app, saved) as thief:
        assert thief.get("/worklist").status_code == 303


def test_the_cookie_holds_no_user_id_and_the_store_no_token(collector: TestClient, web_settings: Settings):
    import base64
    import json

    payload = collector.cookies["copilot_session"].split(".")[0]
    session = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert "uid" not in session and len(session["sid"]) >= 40
    with open_store(web_settings) as store:
        stored = [r["id"] for r in store.db["web_sessions"].rows]
    assert stored and session["sid"] not in stored  # only a hash of the token is kept


def test_an_expired_server_session_is_refused(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        store.db.execute("update web_sessions set expires_at = '2000-01-01T00:00:00+00:00'")
        store.conn.commit()
    assert collector.get("/worklist").status_code == 303


def test_cli_passwd_and_disable_end_sessions(app, collector: TestClient, web_settings: Settings):
    runner = CliRunner()
    db = str(web_settings.db_path)
    changed = runner.invoke(main, ["--db", db, "users", "passwd", "casey"], input="another-password\nanother-password\n")
    assert changed.exit_code == 0, changed.output
    assert "1 session(s) ended" in changed.output
    assert collector.get("/worklist").status_code == 303
    with TestClient(app, follow_redirects=False) as c:
        assert login(c, "casey", "another-password").status_code == 303
        disabled = runner.invoke(main, ["--db", db, "users", "disable", "casey", "--reason", "left"])
        assert disabled.exit_code == 0 and "1 session(s) ended" in disabled.output, disabled.output
        assert c.get("/worklist").status_code == 303
    unknown = runner.invoke(main, ["--db", db, "users", "disable", "nobody"])
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output
    listed = runner.invoke(main, ["--db", db, "users", "list"])
    assert "(disabled)" in listed.output
    enabled = runner.invoke(main, ["--db", db, "users", "enable", "casey"])
    assert enabled.exit_code == 0
    with TestClient(app, follow_redirects=False) as c:
        assert login(c, "casey", "another-password").status_code == 303


# -- sign-in throttling ------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def fake_clock(app) -> FakeClock:
    clock = FakeClock()
    app.state.login_throttle = LoginThrottle(now=clock)
    return clock


def test_wrong_passwords_for_one_account_get_429_with_a_growing_retry_after(client: TestClient, fake_clock: FakeClock):
    for _ in range(5):
        assert login(client, "casey", "wrong-password").status_code == 401
    refused = login(client, "casey", PASSWORD)  # even the right password waits: the account is locked
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2" and "Try again in 2 seconds" in refused.text
    fake_clock.t += 2
    assert login(client, "casey", "wrong-password").status_code == 401
    assert login(client, "casey", "wrong-password").headers["retry-after"] == "4"
    fake_clock.t += 4
    assert login(client, "casey", "wrong-password").status_code == 401
    assert login(client, "casey", "wrong-password").headers["retry-after"] == "8"
    # Another account from the same address is not locked by casey's failures.
    assert login(client, "dana").status_code == 303


def test_a_right_password_clears_the_account(client: TestClient, fake_clock: FakeClock):
    for _ in range(4):
        login(client, "casey", "wrong-password")
    assert login(client, "casey").status_code == 303
    client.cookies.clear()
    for _ in range(4):
        assert login(client, "casey", "wrong-password").status_code == 401


def test_many_accounts_from_one_address_are_throttled_by_address():
    clock = FakeClock()
    throttle = LoginThrottle(account=Rule(free=5, base=2, cap=60), address=Rule(free=3, base=2, cap=60), now=clock)
    assert [throttle.begin(f"user{i}", "203.0.113.9") for i in range(4)] == [0, 0, 0, 2]
    assert throttle.begin("someone-else", "198.51.100.1") == 0
    clock.t += 2
    assert throttle.begin("user9", "203.0.113.9") == 0
    assert throttle.begin("user10", "203.0.113.9") == 4


def test_the_back_off_is_capped_and_memory_is_bounded():
    clock = FakeClock()
    throttle = LoginThrottle(account=Rule(free=1, base=2, cap=60), max_entries=100, now=clock)
    waits = []
    for _ in range(12):
        throttle.begin("casey", "a")
        waits.append(throttle.begin("casey", "a"))
        clock.t += 1000
    assert max(waits) == 60
    for i in range(1000):
        throttle.begin(f"spray{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(throttle._records) <= 100


def test_refused_attempts_never_hash_a_password(client: TestClient, fake_clock: FakeClock, monkeypatch):
    for _ in range(5):
        login(client, "casey", "wrong-password")
    calls = []
    monkeypatch.setattr(users, "_verify", lambda *a: calls.append(a) or False)
    assert login(client, "casey", "wrong-password").status_code == 429
    assert calls == []


def test_parallel_password_checks_are_capped(tmp_path, monkeypatch):
    """40 sign-ins at once must not run 40 argon2 hashes (64 MiB each) at once."""
    gate = threading.Event()
    lock = threading.Lock()
    seen = {"active": 0, "max": 0}

    class SlowHasher:
        def verify(self, password: str, hashed: str) -> bool:
            with lock:
                seen["active"] += 1
                seen["max"] = max(seen["max"], seen["active"])
            gate.wait(30)
            with lock:
                seen["active"] -= 1
            return False

    monkeypatch.setattr(users, "_hasher", lambda: SlowHasher())
    monkeypatch.setattr(users, "_dummy_hash", lambda: "x")
    db = tmp_path / "u.db"
    Store.open(db).close()
    errors: list[BaseException] = []

    def attempt(i: int) -> None:
        try:
            with Store.open(db) as store:
                users.authenticate(store, f"nobody{i}", "guess-password")
        except BaseException as exc:  # noqa: BLE001  reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    limit = users.HASH_SLOTS.limit
    deadline = time.monotonic() + 30
    while not (users.HASH_SLOTS.busy == limit and users.HASH_SLOTS.waiting == 40 - limit):
        assert time.monotonic() < deadline, (users.HASH_SLOTS.busy, users.HASH_SLOTS.waiting, errors)
        time.sleep(0.01)
    assert seen["max"] == limit == users.MAX_CONCURRENT_HASHES <= 4
    gate.set()
    for t in threads:
        t.join(30)
    assert not errors and seen["max"] == limit and users.HASH_SLOTS.busy == 0


# -- cookie flags, HSTS and HEAD ---------------------------------------------------
@pytest.mark.parametrize("web", [{"base_url": "https://ar.ourco.example"}, {"secure_cookies": True}])
def test_https_sites_get_secure_cookies_and_hsts(web_settings: Settings, web: dict):
    settings = web_settings.model_copy(update={"web": web_settings.web.model_copy(update=web)})
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        response = login(c, "casey")
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_plain_http_sites_get_neither(client: TestClient):
    response = login(client, "casey")
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize("path", ["/login", "/worklist", "/dashboard", "/customers/C-1001", "/static/app.css"])
def test_head_answers_like_get(collector: TestClient, path: str):
    get, head = collector.get(path), collector.head(path)
    assert head.status_code == get.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.content == b""


def test_head_without_a_session_redirects_to_login(client: TestClient):
    response = client.head("/worklist")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
