"""Web fixtures: a seeded database file per test, an app built on it, and signed-in clients."""

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from copilot import clock
from copilot.config import Settings
from copilot.policy.model import default_policy
from copilot.store import Store
from copilot.web.app import create_app
from tests.web.seed import PASSWORD, seed

SECRET = "test-secret-key-that-is-long-enough-0123456789"
DEMO_DAY = date(2026, 11, 16)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Seed once (password hashing is slow on purpose); each test gets its own copy of the file.

    The seed is written an hour before the instant the tests pin (the start of the demo day), so whatever a
    test does comes after it, as it would for a collector starting the day."""
    clock.pin(clock.day_start(DEMO_DAY) - timedelta(hours=1))
    path = tmp_path_factory.mktemp("seed") / "web.db"
    with Store.open(path) as store:
        ids = seed(store, default_policy(), DEMO_DAY)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    clock.pin(None)
    return path, ids


@pytest.fixture
def web_settings(tmp_path: Path, seeded_template: tuple[Path, dict], today: date) -> Settings:
    db = tmp_path / "web.db"
    shutil.copy(seeded_template[0], db)
    return Settings(db_path=db, outbox_dir=tmp_path / "outbox", web={"secret_key": SECRET})


@pytest.fixture
def ids(seeded_template: tuple[Path, dict]) -> dict:
    return seeded_template[1]


@pytest.fixture
def app(web_settings: Settings):
    return create_app(web_settings)


@pytest.fixture
def client(app) -> TestClient:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The session's CSRF token, read from a page's form like a browser would."""
    page = client.get(path)
    match = _CSRF.search(page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(client)})


def signed_in(app, username: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    response = login(c, username)
    assert response.status_code == 303, response.text
    return c


@pytest.fixture
def collector(app) -> TestClient:
    with signed_in(app, "casey") as c:
        yield c


@pytest.fixture
def account_team(app) -> TestClient:
    with signed_in(app, "dana") as c:
        yield c


@pytest.fixture
def admin(app) -> TestClient:
    with signed_in(app, "root") as c:
        yield c


def open_store(settings: Settings) -> Store:
    return Store.open(settings.db_path)
