"""The built-in demo: sample ledger, sample mailbox and a pinned clock, with no server and no key."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from copilot import clock
from copilot.config import DB_SETTINGS_FILE, Settings, load_settings, write_db_settings
from copilot.ledger import importer
from copilot.ledger.aging import AgingReport, aging_report
from copilot.policy.model import Policy
from copilot.resources import demo_data_dir
from copilot.store import Store

# The sample data is written around this day; the demo runs as if it were today.
DEMO_TODAY = date(2026, 11, 16)
# The sample company's own mail identity. No SMTP host: demo mail only ever reaches the outbox folder.
# Written to copilot.toml beside the demo database, so every command pointed at it (`--db`) and
# the web UI use the same identity, outbox and clock. `demo` lets the placeholder identity through.
DEMO_SETTINGS: dict = {
    "demo": True,
    "outbox_dir": "outbox",
    "smtp": {"from_address": "ar@ourco.example", "from_name": "Our Co Accounts Receivable"},
    "drafting": {"company_name": "Our Co", "collector_name": "Sam Rivera", "senior_name": "Alex Kim",
                 "senior_title": "Head of Accounts Receivable"},
    # Sample rates for totals and sorting across the ledger's four currencies, and the team's time zone.
    "reporting": {"currency": "USD", "rates": {"EUR": "1.08", "GBP": "1.27", "CAD": "0.73"}, "rates_date": "2026-11-13"},
    "web": {"timezone": "Europe/London"},
}  # fmt: skip


def demo_settings(db_path: Path | str) -> Settings:
    """The settings kept beside the demo database (written by `run_demo`); the demo's own when there is no file."""
    path = Path(db_path)
    if (path.parent / DB_SETTINGS_FILE).is_file():
        return load_settings(db_path=path)
    return load_settings(**{k: v for k, v in DEMO_SETTINGS.items() if k != "outbox_dir"})

Step = Callable[[Store, Policy, "DemoResult"], None]
# Each demo module registers its own step; they run in this order whatever order they were imported in.
ORDER: tuple[str, ...] = ("ledger", "mail", "drafts", "users")
STEPS: list[tuple[str, Step]] = []


@dataclass
class DemoResult:
    db_path: str
    today: date
    notes: list[str] = field(default_factory=list)
    aging: AgingReport | None = None


def step(name: str) -> Callable[[Step], Step]:
    def register(fn: Step) -> Step:
        STEPS.append((name, fn))
        return fn

    return register


@step("ledger")
def load_ledger(store: Store, policy: Policy, result: DemoResult) -> None:
    data = demo_data_dir()
    inv = importer.import_invoices(store, data / "invoices.csv", policy, actor="demo")
    pay = importer.import_payments(store, data / "payments.csv", actor="demo")
    result.notes.append(f"ledger: {len(inv.created)} invoices and {len(pay.created)} payments loaded")


def run_demo(db_path: Path, policy: Policy, today: date | None = None, on_step: Callable[[str], None] | None = None) -> DemoResult:
    """Build a fresh demo database at db_path and run every registered step on it."""
    day = today or DEMO_TODAY
    clock.pin(day)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    result = DemoResult(str(db_path), day)
    write_db_settings(Path(db_path), {**DEMO_SETTINGS, "today": day})
    with Store.open(db_path) as store:
        for name, fn in sorted(STEPS, key=lambda s: ORDER.index(s[0])):
            if on_step:
                on_step(name)
            fn(store, policy, result)
        result.aging = aging_report(store, policy, day)
    return result
