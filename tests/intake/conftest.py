"""Intake fixtures: the session's private Dovecot, a fresh account per test, and helpers to poll it."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from copilot import clock
from copilot.config import Settings
from copilot.demo.mail import record_outbound
from copilot.ledger import importer
from copilot.policy.model import default_policy
from copilot.resources import demo_data_dir
from copilot.store import Store
from tests.fixtures.dovecot import DovecotServer, ImapUser, dovecot, imap_user  # noqa: F401

# libfaketime, under which the rest of the suite is run to prove it passes at any hour, disturbs Dovecot
# itself (IDLE and the polling fallback fail even at noon). Tests against Dovecot therefore never run under
# it; they pin an instant of their own instead: seconds before midnight UTC, the hour at which a pinned date
# once met the real time of day, so a run crosses the day boundary.
DOVECOT_INSTANT = datetime(2026, 11, 16, 23, 59, 50, tzinfo=UTC)


@pytest.fixture
def dovecot_instant():
    """Pin the clock for a test against Dovecot (see DOVECOT_INSTANT)."""
    clock.pin(DOVECOT_INSTANT)
    yield DOVECOT_INSTANT
    clock.pin(None)


def imap_settings(server: DovecotServer, user: ImapUser, tmp_path: Path, **imap: object) -> Settings:
    """Settings pointing at the private Dovecot over plain loopback, with fast reconnects."""
    base = {"host": server.host, "port": server.port, "tls": False, "username": user.name, "password": user.password,
            "backoff_base_seconds": 0.05, "backoff_max_seconds": 1, "timeout_seconds": 10}  # fmt: skip
    return Settings(db_path=tmp_path / "copilot.db", imap={**base, **imap}, smtp={"from_address": "ar@ourco.example"})


@pytest.fixture
def demo_ledger(store: Store) -> Store:
    """The in-memory store loaded with the demo ledger and the reminders we sent."""
    data = demo_data_dir()
    importer.import_invoices(store, data / "invoices.csv", default_policy(), actor="test")
    importer.import_payments(store, data / "payments.csv", actor="test")
    for path in sorted((data / "sent").glob("*.eml")):
        record_outbound(store, path.read_bytes(), actor="test")
    return store
