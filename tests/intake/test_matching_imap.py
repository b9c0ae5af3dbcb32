"""Every matching rule, end to end: the demo replies go through Dovecot and are compared with MANIFEST.md."""

import re

import pytest

from copilot.mail.intake import Poller, backoff_from_settings, context_from_settings, imap_sources
from copilot.resources import demo_data_dir
from copilot.store import loads
from tests.intake.conftest import imap_settings

# Pinned to an instant of its own rather than run under libfaketime: see DOVECOT_INSTANT in conftest.py.
pytestmark = [pytest.mark.dovecot, pytest.mark.usefixtures("dovecot_instant")]

RULES = {"reply-to header": "reply_header", "invoice number": "invoice_number", "sender address": "sender_address",
         "sender domain": "sender_domain", "unmatched": None}  # fmt: skip


def manifest() -> dict[str, tuple[str | None, str | None, list[str]]]:
    """file -> (rule, customer, invoices) from the table in MANIFEST.md."""
    out = {}
    for line in (demo_data_dir() / "MANIFEST.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[0].endswith(".eml"):
            continue
        rule = next(v for k, v in RULES.items() if cells[3].startswith(k))
        customer, _, invoices = cells[4].partition("/")
        customer = customer.strip() if customer.strip().startswith("C-") else None
        out[cells[0]] = (rule, customer, re.findall(r"INV-\d{4}-\d{4}", invoices.split("(")[0]))
    return out


def test_manifest_covers_every_rule():
    assert {rule for rule, _, _ in manifest().values()} == set(RULES.values())


def test_demo_replies_match_as_the_manifest_says(dovecot, imap_user, tmp_path, demo_ledger):
    store = demo_ledger
    files = sorted((demo_data_dir() / "mail").glob("*.eml"))
    dovecot.append(imap_user, [f.read_bytes() for f in files])
    s = imap_settings(dovecot, imap_user, tmp_path)
    stats = Poller(context_from_settings(store, s), imap_sources(s), backoff_from_settings(s.imap, 3)).run_once()
    assert stats.stored == len(files) == 24

    expected = manifest()
    by_uid = {r["uid"]: r for r in store.db["messages"].rows_where("direction = 'inbound'")}
    for uid, path in enumerate(files, start=1):
        row = by_uid[uid]
        rule, customer, invoices = expected[path.name]
        assert (row["match_rule"], row["customer_id"]) == (rule, customer), path.name
        assert row["status"] == ("unmatched" if rule is None else "pending"), path.name
        assert set(invoices) <= set(loads(row["invoice_numbers_json"], [])), path.name
