"""Routing fixtures: the demo ledger, seeded replies and classifications, settings pointed at loopback SMTP."""

from datetime import date
from pathlib import Path

import pytest

from copilot.config import Settings
from copilot.ledger import importer
from copilot.resources import demo_data_dir
from copilot.store import Store

BASE_URL = "https://copilot.ourco.example"


@pytest.fixture
def ledger_store(store: Store, policy, today: date) -> Store:
    """The in-memory store holding the demo invoices and payments, with the clock on the demo day."""
    importer.import_invoices(store, demo_data_dir() / "invoices.csv", policy)
    importer.import_payments(store, demo_data_dir() / "payments.csv")
    return store


@pytest.fixture
def smtp_settings(smtp_server, tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "copilot.db",
        smtp={
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": "none",
            "from_address": "ar@ourco.example",
        },
        web={"base_url": BASE_URL},
        dispute_owner_email="billing.lead@ourco.example",
        alerts={"retry_base_seconds": 60, "max_attempts": 3},
    )
