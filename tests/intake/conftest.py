"""Intake fixtures: the session's private Dovecot, a fresh account per test, and helpers to poll it."""

from pathlib import Path

import pytest

from copilot.config import Settings
from copilot.demo.mail import record_outbound
from copilot.ledger import importer
from copilot.policy.model import default_policy
from copilot.resources import demo_data_dir
from copilot.store import Store
from tests.fixtures.dovecot import DovecotServer, ImapUser, dovecot, imap_user  # noqa: F401


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
