"""The inbox counts corrections the model has not learned yet and offers to retrain now."""

import pytest
from fastapi.testclient import TestClient

from copilot.classify import retrain
from copilot.classify.training import OutOfFold, TrainedModel
from copilot.config import Settings
from tests.web.conftest import csrf_of, open_store


@pytest.fixture
def quick_training(monkeypatch):
    """Training and scoring replaced by stand-ins: this tests the screen and the audit, not the model."""
    def fit(rows, digest="", weights=None):
        model = TrainedModel(None, [], [], 0.5, {}, [], digest)
        return model, OutOfFold([r.label for r in rows], [r.frustrated for r in rows])

    monkeypatch.setattr(retrain, "fit", fit)
    monkeypatch.setattr(retrain, "LocalClassifier", lambda model, review_threshold: model)
    monkeypatch.setattr(retrain, "load_model", lambda cache_path=None: None)
    scores = {"new": 0.88, "calls": 0}

    def score(_classifier):  # the new model is scored first, then the shipped one (0.88)
        scores["calls"] += 1
        return {"accuracy": 0.9, "macro_f1": scores["new"] if scores["calls"] % 2 else 0.88, "n": 150}

    monkeypatch.setattr(retrain, "score_on_test", score)
    return scores


def _waiting(client: TestClient) -> str:
    page = client.get("/inbox").text
    start = page.index('id="corrections-waiting">') + len('id="corrections-waiting">')
    return page[start : page.index("</span>", start)]


def test_corrections_wait_until_retrain_now(collector: TestClient, web_settings: Settings, ids: dict, quick_training):
    assert _waiting(collector) == "0 corrections waiting to teach the model"
    assert "Retrain now" not in collector.get("/inbox").text
    token = csrf_of(collector, "/inbox")
    collector.post(f"/messages/{ids['wrong_quantity']}/label", data={"label": "dispute", "csrf_token": token})
    assert _waiting(collector) == "1 correction waiting to teach the model"
    assert "Retrain now" in collector.get("/inbox").text

    response = collector.post("/inbox/retrain", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    page = collector.get("/inbox").text
    assert "Model v1 trained on 1 correction(s) and now classifies new replies." in page
    assert _waiting(collector) == "0 corrections waiting to teach the model"
    with open_store(web_settings) as store:
        events = [(e["actor"], e["action"]) for e in store.audit_events("local_model")]
    assert events == [("user:casey", "trained"), ("user:casey", "activated")]


def test_a_retrain_that_fails_the_check_says_why(admin: TestClient, web_settings: Settings, ids: dict, quick_training):
    token = csrf_of(admin, "/inbox")
    admin.post(f"/messages/{ids['wrong_quantity']}/label", data={"label": "dispute", "csrf_token": token})
    quick_training["new"] = 0.5
    admin.post("/inbox/retrain", data={"csrf_token": token})
    page = admin.get("/inbox").text
    assert "Model v1 was trained but not made active: macro-F1 on the shipped test split fell from" in page
    assert _waiting(admin) == "1 correction waiting to teach the model"


def test_retrain_needs_a_collector_and_a_csrf_token(account_team: TestClient, collector: TestClient):
    assert account_team.post("/inbox/retrain", data={"csrf_token": csrf_of(account_team, "/account")}).status_code == 403
    assert collector.post("/inbox/retrain", data={}).status_code in (400, 403)


def test_nothing_to_learn_is_an_error_page(collector: TestClient):
    response = collector.post("/inbox/retrain", data={"csrf_token": csrf_of(collector, "/inbox")})
    assert response.status_code == 400 and "nothing new to learn" in response.text
