"""The inbox counts corrections the model has not learned yet and offers to retrain now; training runs in the background."""

import html
import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from copilot.classify import retrain
from copilot.classify.training import OutOfFold, TrainedModel
from copilot.config import Settings
from copilot.web import retraining
from copilot.web.routes.inbox import get_retrain_runner
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


@pytest.fixture
def held(app) -> list[Callable[[], None]]:
    """Training handed to the runner waits here until the test runs it: the test decides when it finishes."""
    work: list[Callable[[], None]] = []
    app.dependency_overrides[get_retrain_runner] = lambda: work.append
    yield work
    app.dependency_overrides.clear()


def _waiting(client: TestClient) -> str:
    page = client.get("/inbox").text
    start = page.index('id="corrections-waiting">') + len('id="corrections-waiting">')
    return page[start : page.index("</span>", start)]


def _training(client: TestClient) -> str:
    page = client.get("/inbox").text
    if 'id="training-state"' not in page:
        return ""
    start = page.index(">", page.index('id="training-state"')) + 1
    return " ".join(html.unescape(page[start : page.index("</p>", start)]).split())


def _correct_one(client: TestClient, ids: dict) -> str:
    token = csrf_of(client, "/inbox")
    client.post(f"/messages/{ids['wrong_quantity']}/label", data={"label": "dispute", "csrf_token": token})
    return token


def _run_events(settings: Settings) -> list[tuple[str, str, str]]:
    with open_store(settings) as store:
        return [(e["actor"], e["action"], e["reason"]) for e in store.audit_events("retrain_run")]


def test_corrections_wait_until_retrain_now(collector: TestClient, web_settings: Settings, ids: dict, quick_training,
                                            held: list):  # fmt: skip
    assert _waiting(collector) == "0 corrections waiting to teach the model"
    assert "Retrain now" not in collector.get("/inbox").text and _training(collector) == ""
    token = _correct_one(collector, ids)
    assert _waiting(collector) == "1 correction waiting to teach the model"
    assert "Retrain now" in collector.get("/inbox").text

    response = collector.post("/inbox/retrain", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    assert len(held) == 1 and quick_training["calls"] == 0  # the request returned before any training ran
    page = collector.get("/inbox").text
    assert "Training started." in page and "Retrain now" not in page
    assert _training(collector).startswith("Training… Casey started it at")
    assert _run_events(web_settings) == [("user:casey", "started", "Casey started training the local model on the team's corrections.")]

    held.pop()()  # the background work runs to its end
    assert _training(collector).endswith("Model v1 trained on 1 correction(s) and now classifies new replies.")
    assert _waiting(collector) == "0 corrections waiting to teach the model"
    with open_store(web_settings) as store:
        events = [(e["actor"], e["action"]) for e in store.audit_events("local_model")]
        run = store.db["retrain_runs"].get(1)
    assert events == [("user:casey", "trained"), ("user:casey", "activated")]
    assert (run["status"], run["model"], run["activated"]) == ("done", "v1", 1)
    assert [e[1] for e in _run_events(web_settings)] == ["started", "finished"]
    assert "Model v1 trained on 1 correction(s)" in _run_events(web_settings)[1][2]


def test_a_second_click_while_training_runs_is_refused(collector: TestClient, admin: TestClient, web_settings: Settings,
                                                       ids: dict, quick_training, held: list):  # fmt: skip
    token = _correct_one(collector, ids)
    collector.post("/inbox/retrain", data={"csrf_token": token})
    response = admin.post("/inbox/retrain", data={"csrf_token": csrf_of(admin, "/inbox")})
    assert response.status_code == 303
    assert "Training is already running: Casey started it at 09:00 UTC." in html.unescape(admin.get("/inbox").text)
    assert len(held) == 1
    with open_store(web_settings) as store:
        assert store.db["retrain_runs"].count == 1
    held.pop()()
    assert admin.post("/inbox/retrain", data={"csrf_token": csrf_of(admin, "/inbox")}).status_code == 303
    assert len(held) == 1  # once the first ended, a new run may start


def test_a_retrain_that_fails_the_check_says_why(admin: TestClient, web_settings: Settings, ids: dict, quick_training,
                                                 held: list):  # fmt: skip
    token = _correct_one(admin, ids)
    quick_training["new"] = 0.5
    admin.post("/inbox/retrain", data={"csrf_token": token})
    held.pop()()
    assert "Model v1 was trained but not made active: macro-F1 on the shipped test split fell from" in _training(admin)
    assert _waiting(admin) == "1 correction waiting to teach the model"


def test_a_training_that_breaks_is_shown_and_audited(collector: TestClient, web_settings: Settings, ids: dict,
                                                     quick_training, held: list, monkeypatch):  # fmt: skip
    def broken(_classifier):
        raise RuntimeError("the test split could not be read")

    monkeypatch.setattr(retrain, "score_on_test", broken)
    collector.post("/inbox/retrain", data={"csrf_token": _correct_one(collector, ids)})
    held.pop()()
    shown = _training(collector)
    assert shown.startswith("Training failed (") and "the test split could not be read" in shown
    assert "Retrain now" in collector.get("/inbox").text  # a failed run does not block the next one
    actor, action, reason = _run_events(web_settings)[-1]
    assert (actor, action) == ("user:casey", "failed") and "the test split could not be read" in reason
    with open_store(web_settings) as store:
        assert store.db["retrain_runs"].get(1)["status"] == "failed" and store.db["local_models"].count == 0


def test_training_runs_on_its_own_thread_and_connection(collector: TestClient, web_settings: Settings, ids: dict,
                                                        quick_training, app, monkeypatch):  # fmt: skip
    release, seen, threads = threading.Event(), [], []
    real = retrain.retrain

    def blocked(store, settings, **kwargs):
        seen.append(threading.current_thread().name)
        if threading.current_thread().name != "copilot-retrain":
            raise AssertionError("training ran inside the request")  # fails at once instead of hanging the test
        release.wait()  # no timeout: the test releases it
        return real(store, settings, **kwargs)

    monkeypatch.setattr(retrain, "retrain", blocked)
    app.dependency_overrides[get_retrain_runner] = lambda: lambda work: threads.append(retraining.in_thread(work))
    response = collector.post("/inbox/retrain", data={"csrf_token": _correct_one(collector, ids)})
    assert response.status_code == 303 and _training(collector).startswith("Training…")
    release.set()
    threads[0].join()
    app.dependency_overrides.clear()
    assert seen == ["copilot-retrain"]
    # The request's connection was closed long before training wrote its model: the thread used its own.
    assert _training(collector).endswith("Model v1 trained on 1 correction(s) and now classifies new replies.")


def test_a_run_left_by_a_stopped_server_does_not_block_the_next(collector: TestClient, web_settings: Settings,
                                                                ids: dict, quick_training, held: list):  # fmt: skip
    token = _correct_one(collector, ids)
    with open_store(web_settings) as store:  # what a process that died mid-training leaves behind
        store.db["retrain_runs"].insert({"status": "running", "started_by": "user:casey", "started_at": "2026-11-16T08:00:00+00:00",
                                         "pid": 2**22 + 12345, "host": __import__("socket").gethostname()})  # fmt: skip
    assert _training(collector).startswith("Training started by Casey at") and "stopped before it ended" in _training(collector)
    collector.post("/inbox/retrain", data={"csrf_token": token})
    assert len(held) == 1
    with open_store(web_settings) as store:
        assert [r["status"] for r in store.db["retrain_runs"].rows_where(order_by="id")] == ["failed", "running"]


def test_retrain_needs_a_collector_and_a_csrf_token(account_team: TestClient, collector: TestClient):
    assert account_team.post("/inbox/retrain", data={"csrf_token": csrf_of(account_team, "/account")}).status_code == 403
    assert collector.post("/inbox/retrain", data={}).status_code in (400, 403)


def test_nothing_to_learn_is_an_error_page(collector: TestClient, web_settings: Settings):
    response = collector.post("/inbox/retrain", data={"csrf_token": csrf_of(collector, "/inbox")})
    assert response.status_code == 400 and "nothing new to learn" in response.text
    with open_store(web_settings) as store:
        assert store.db["retrain_runs"].count == 0
