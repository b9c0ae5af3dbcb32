"""Every link in every email the product sends resolves: alerts and reminders of each kind, over the demo.

Links into the web UI are requested as a signed-in user of the role the email goes to and must
answer 200. A reminder's other links are the ledger's own payment links for the invoices it lists.
"""

import re
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from copilot import clock
from copilot.config import load_settings
from copilot.demo import drafts, mail, users  # noqa: F401  (each registers its demo step)
from copilot.demo.runner import DEMO_TODAY, run_demo
from copilot.drafting.facts import KINDS, PromiseFact, RequestFact, build_facts
from copilot.drafting.outbox import build_message
from copilot.drafting.render import TONES, render_draft
from copilot.policy.model import default_policy
from copilot.store import Store, loads
from copilot.web.app import create_app
from copilot.web.users import create_user
from tests.web.conftest import SECRET, login

URL = re.compile(r"https?://[^\s<>\"')]+")
PASSWORD = "links-check-password-1"
BASE = "https://ar.ourco.example"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("links") / ".copilot-demo" / "demo.db"
    db.parent.mkdir()
    # The links in alerts carry the configured base URL; the demo's settings file is where it is set.
    run_demo(db, default_policy())
    clock.pin(None)
    return db


@pytest.fixture
def site(demo_db: Path, monkeypatch):
    clock.pin(DEMO_TODAY)
    monkeypatch.setenv("COPILOT_WEB__SECRET_KEY", SECRET)
    monkeypatch.setenv("COPILOT_WEB__BASE_URL", BASE)
    settings = load_settings(db_path=demo_db)
    return settings, create_app(settings)


def client_for(app, store: Store, role: str, email: str | None) -> TestClient:
    name = f"{role}-{abs(hash(email)) % 10_000}"
    if not store.db["users"].count_where("username = ?", [name]):
        create_user(store, name, PASSWORD, role, email=email, actor="test")
    # base_url is https, so the cookies are Secure: the client must speak https to send them back.
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    assert login(c, name, PASSWORD).status_code == 303
    return c


def app_path(link: str) -> str | None:
    """The path of a link into our web UI, or None for a link elsewhere."""
    if not link.startswith(BASE):
        return None
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_every_link_in_every_alert_email_answers_200_for_its_recipient(site):
    settings, app = site
    with Store.open(settings.db_path) as store:
        # Alerts written now carry the configured base URL; deliver them again through the real composer.
        from copilot.routing.alerts import compose_alert
        from copilot.routing.state import load_customer, load_message

        alerts = list(store.db["alerts"].rows)
        assert {a["kind"] for a in alerts} >= {"frustration", "bounce"}
        collectors = {settings.alerts.collector_email or settings.smtp.from_address, settings.dispute_owner_email}
        checked = 0
        for alert in alerts:
            customer = load_customer(store, alert["customer_id"], DEMO_TODAY)
            message = load_message(store, alert["message_id"]) if alert["message_id"] else None
            content = compose_alert(alert["kind"], customer, "check", settings, message)
            links = URL.findall(content.body) + ([content.link] if content.link else [])
            assert links, f"alert {alert['id']} ({alert['kind']}) links to nothing"
            for recipient in loads(alert["recipients_json"], []):
                role = "collector" if recipient in collectors else "account_team"
                with client_for(app, store, role, recipient) as c:
                    for link in links:
                        path = app_path(link)
                        assert path, f"alert {alert['id']} links outside the app: {link}"
                        answer = c.get(path)
                        assert answer.status_code == 200, f"{link} for {role} {recipient}: {answer.status_code}"
                        checked += 1
        assert checked >= len(alerts)


def test_links_in_alerts_already_delivered_to_the_outbox_still_resolve(site, demo_db: Path):
    settings, app = site
    delivered = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (demo_db.parent / "outbox").glob("*.eml")]
    alerts = [m for m in delivered if m["Subject"].startswith("[Collector Copilot]")]
    assert alerts
    with Store.open(settings.db_path) as store, client_for(app, store, "collector", "ar@ourco.example") as c:
        for msg in alerts:
            for link in URL.findall(msg.get_content()):
                path = urlsplit(link).path
                assert path.startswith("/messages/"), link
                assert c.get(path).status_code == 200
        assert c.get("/replies/1").headers["location"] == "/messages/1"  # links sent before the fix still land


def _every_kind(store: Store, settings) -> list[tuple[str, object]]:
    """Facts for every kind, tier and segment template, over a demo customer's real invoices."""
    customer = store.db["customers"].get("C-1003")
    contact = next(store.db["contacts"].rows_where("customer_id = 'C-1003'"))
    invoices = list(store.db["invoices"].rows_where("customer_id = 'C-1003' and status != 'paid'", order_by="due_date"))
    out = []
    for kind in KINDS:
        for tier in ((0,) if kind == "pre_due" else (1, 2, 3, 4)):
            for segment in ("strategic", "mid-market", "long-tail"):
                facts = build_facts(kind=kind, tier=tier, customer={**customer, "segment": segment}, contact=contact,
                                    invoices=invoices, as_of=DEMO_TODAY, policy=default_policy(), settings=settings,
                                    promise=PromiseFact(promised_date=date(2026, 11, 6)) if kind == "broken_promise" else None,
                                    request=RequestFact(kind="invoice_copy", subject="copy please",
                                                        received_on=date(2026, 11, 12)) if kind == "request_reply" else None)  # fmt: skip
                out.append((f"{kind} T{tier} {segment}", facts))
    return out


def test_every_link_in_every_reminder_is_an_app_page_or_the_ledgers_payment_link(site):
    settings, app = site
    with Store.open(settings.db_path) as store, client_for(app, store, "collector", "ar@ourco.example") as c:
        ledger_links = {r["number"]: r["payment_link"] for r in store.db["invoices"].rows}
        bodies: list[tuple[str, str, list[str]]] = []
        for row in store.db["drafts"].rows_where("status = 'draft'"):
            msg = build_message({**row, "message_id": "<x@ourco.example>"}, settings)
            bodies.append((f"draft {row['id']}", msg.get_content(), loads(row["invoice_numbers_json"], [])))
        for name, facts in _every_kind(store, settings):
            for tone in TONES:
                text = render_draft(facts, tone)
                bodies.append((f"{name} {tone}", text.body, facts.invoice_numbers()))
        assert len(bodies) > 40
        for name, body, numbers in bodies:
            allowed = {ledger_links[n] for n in numbers if ledger_links.get(n)}
            links = URL.findall(body)
            assert links, f"{name} carries no link"
            for link in links:
                path = app_path(link)
                if path is not None:
                    assert c.get(path).status_code == 200, f"{name}: {link}"
                else:
                    assert link in allowed, f"{name}: {link} is neither an app page nor a payment link it lists"
