"""Suite-wide fixtures. Area fixtures live in tests/<area>/conftest.py; servers in tests/fixtures/."""

from datetime import date
from pathlib import Path

import pytest

from copilot import clock
from copilot.config import Settings
from copilot.policy.model import Policy, default_policy
from copilot.store import Store

pytest_plugins = ["tests.fixtures.smtp"]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No test reads the developer's settings or reaches a real model: COPILOT_* is cleared and the clock released."""
    import os

    for name in list(os.environ):
        if name.startswith("COPILOT_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.chdir(tmp_path)
    clock.pin(None)
    yield
    clock.pin(None)


@pytest.fixture
def store() -> Store:
    s = Store.memory()
    yield s
    s.close()


@pytest.fixture
def policy() -> Policy:
    return default_policy()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "copilot.db", outbox_dir=tmp_path / "outbox")


@pytest.fixture
def today() -> date:
    """The demo's day; tests that depend on the date pin the clock to it."""
    day = date(2026, 11, 16)
    clock.pin(day)
    return day


@pytest.fixture
def artifacts() -> Path:
    """Folder for screenshots and reports that a person should look at after a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
