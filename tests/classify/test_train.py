"""`copilot train` and `copilot model`: the local model learns this database's inbox, versioned, behind a test-split check."""

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.classify import build_classifier, local_model, registry, retrain
from copilot.classify.classifications import save_classification
from copilot.classify.local import FEATURE_VERSION
from copilot.classify.training import OutOfFold, train
from copilot.cli import main
from copilot.config import Settings
from copilot.errors import ClassifierError, InvalidTransition, NotFound
from copilot.labels import Classification, Reply
from copilot.store import Store

TEAM = [
    {"id": f"t{k}", "subject": f"RE: Invoice INV-9{k:03d}", "text": text, "label": label, "frustrated": False, "lang": "en"}
    for k, (text, label) in enumerate(
        [(f"Please upload invoice INV-9{k:03d} to our Tradeshift supplier hub; paper copies are no longer processed.", "request")
         for k in range(8)]
        + [(f"Case TS-{k}4411 has been created for your message. Our payables desk answers within 3 working days.", "auto_reply")
           for k in range(8)]
    )
]  # fmt: skip


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _cli(*args: str):
    return CliRunner().invoke(main, ["--db", "team.db", *args])


def _message(store: Store, text: str) -> int:
    row = {"direction": "inbound", "subject": "Re: reminder", "text_reply": text, "text_full": text,
           "sent_at": "2026-11-10T09:00:00+00:00", "dedupe_key": text, "status": "classified"}  # fmt: skip
    return store.db["messages"].insert(row).last_pk


def _correct(store: Store, text: str, label: str) -> int:
    mid = _message(store, text)
    save_classification(store, mid, Classification(label="acknowledgement", confidence=0.7, source="local"), "triage")
    save_classification(store, mid, Classification(label=label, confidence=1.0, source="human"), "ana", "wrong label")
    return mid


def test_train_makes_the_database_model_active_and_every_command_uses_it(tmp_path):
    """One real training run: shipped split + a team file + a correction, figures reported, then used by eval and classify."""
    team = _write(tmp_path / "team.jsonl", TEAM)
    with Store.open("team.db") as store:
        _correct(store, "We are closing this account; the three seats were cancelled in September, so no payment.", "dispute")
    result = _cli("train", "--dataset", str(team))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "model v1, cross-validated (5-fold, out of fold):" in out and "the team's own:" in out and "(n=17)" in out
    assert "shipped model:" in out and "v1 is now the active model for this database" in out
    assert "16 team.jsonl" in result.stderr and "1 corrections" in result.stderr

    listed = json.loads(_cli("model", "list", "--json").stdout)
    (v1,) = listed["models"]
    assert v1["version"] == "v1" and v1["active"] and v1["usable"] and listed["corrections_waiting"] == 0
    assert v1["sources"]["counts"]["shipped"] > 600 and 0 < v1["cv"]["team"]["accuracy"] <= 1
    with Store.open("team.db") as store:
        digest = registry.active_model_info(store).digest
        assert [e["action"] for e in store.audit_events("local_model")] == ["trained", "activated"]

    scored = _cli("eval", str(team), "--classifier", "local", "--predictions", str(tmp_path / "p.jsonl"), "--no-progress")
    assert scored.exit_code == 0, scored.output
    models = {json.loads(line)["model"] for line in (tmp_path / "p.jsonl").read_text().splitlines()}
    assert models == {f"{FEATURE_VERSION}:{digest}"}

    eml = tmp_path / "m.eml"
    eml.write_text("From: ap@example.com\nSubject: Re: reminder\n\nPlease upload it to our Tradeshift supplier hub.\n")
    classified = _cli("classify", str(eml), "--json", "--classifier", "local")
    assert classified.exit_code == 0, classified.output
    assert json.loads(classified.stdout)["model"].endswith(digest)

    assert _cli("model", "use", "shipped").exit_code == 0
    again = _cli("classify", str(eml), "--json", "--classifier", "local")
    assert not json.loads(again.stdout)["model"].endswith(digest)


@pytest.fixture
def fake_fit(monkeypatch, trained_model):
    """Training replaced by the shipped model (trained once for the test run) under the new digest; records what it was given."""
    seen: dict = {}

    def fit(rows, digest="", weights=None):
        seen.update(rows=rows, weights=list(weights), digest=digest)
        oof = OutOfFold([r.label for r in rows], [r.frustrated for r in rows])
        return dataclasses.replace(trained_model, digest=digest), oof

    monkeypatch.setattr(retrain, "fit", fit)
    return seen


def _scores(monkeypatch, *macro_f1: float):
    """The test-split figures, scripted: the new model's first, then the shipped model's."""
    queue = list(macro_f1)
    monkeypatch.setattr(retrain, "score_on_test", lambda _clf: {"accuracy": 0.9, "macro_f1": queue.pop(0), "n": 150})


def test_team_examples_weigh_more_and_test_copies_are_left_out(store, settings, fake_fit, monkeypatch, tmp_path):
    _scores(monkeypatch, 0.88, 0.88)
    test_reply = json.loads((Path(retrain.datasets_dir()) / "test.jsonl").read_text().splitlines()[0])
    team = _write(tmp_path / "team.jsonl", [*TEAM[:3], {**test_reply, "id": "copy"}])
    _correct(store, TEAM[0]["text"], "dispute")  # the correction overrides the file's label for the same text
    settings = settings.model_copy(update={"classifier": settings.classifier.model_copy(update={"team_weight": 5.0})})
    outcome = retrain.retrain(store, settings, [team], actor="cli")
    assert outcome.activated and outcome.dropped_test_copies == 1 and outcome.counts["team.jsonl"] == 2
    weights = {r.text: w for r, w in zip(fake_fit["rows"], fake_fit["weights"], strict=True)}
    labels = {r.text: r.label for r in fake_fit["rows"]}
    assert weights[TEAM[1]["text"]] == 5.0 and labels[TEAM[0]["text"]] == "dispute" and weights[TEAM[0]["text"]] == 5.0
    assert set(fake_fit["weights"]) == {1.0, 5.0} and sum(w == 1.0 for w in fake_fit["weights"]) > 600
    assert test_reply["text"] not in labels or weights[test_reply["text"]] == 1.0


def test_a_model_that_loses_on_the_test_split_is_not_made_active(store, settings, fake_fit, monkeypatch):
    _correct(store, "Our approval limit means two payments: half now and half in January.", "promise_to_pay")
    _scores(monkeypatch, 0.80, 0.88)
    outcome = retrain.retrain(store, settings, [], actor="cli")
    assert not outcome.activated and "fell from 0.880 to 0.800, more than the allowed 0.03" in outcome.reason
    assert registry.active_model_info(store) is None and registry.list_models(store)[0].status == "rejected"
    assert registry.corrections_waiting(store) == 1
    with pytest.raises(InvalidTransition, match="add --force"):
        registry.use_model(store, "v1", "cli")
    _scores(monkeypatch, 0.80, 0.88)
    forced = retrain.retrain(store, settings, [], actor="cli", force=True)
    assert forced.activated and registry.active_model_info(store).name == "v2" and registry.active_model_info(store).forced
    assert registry.corrections_waiting(store) == 0
    activated = [e for e in store.audit_events("local_model") if e["action"] == "activated"]
    assert len(activated) == 1 and "forced past the test-split check" in activated[0]["reason"]


def test_the_gate_message_reaches_the_command_line(tmp_path, trained_model, monkeypatch):
    with Store.open("team.db") as store:
        _correct(store, "Two instalments, December and January.", "promise_to_pay")
    monkeypatch.setattr(retrain, "fit", lambda rows, digest="", weights=None: (
        dataclasses.replace(trained_model, digest=digest), OutOfFold([r.label for r in rows], [False] * len(rows))))  # fmt: skip
    _scores(monkeypatch, 0.5, 0.9)
    result = _cli("train")
    assert result.exit_code == 1
    assert "v1 was stored but NOT made active: macro-F1 on the shipped test split fell from 0.900 to 0.500" in result.stderr
    listing = _cli("model", "list").stdout
    assert "* shipped" in listing and "  v1" in listing and "not made active:" in listing
    assert "1 correction(s) made since the active model was trained" in listing


def test_nothing_to_learn_is_a_clear_error(store, settings):
    with pytest.raises(ClassifierError, match="no corrected replies and no --dataset"):
        retrain.retrain(store, settings, [], actor="cli")


def test_model_use_switches_versions_and_refuses_unknown_ones(store, settings, fake_fit, monkeypatch, trained_model):
    _correct(store, "Please send invoices to our new AP clerk instead.", "request")
    for _ in range(2):
        _scores(monkeypatch, 0.88, 0.88)
        retrain.retrain(store, settings, [], actor="cli")
    assert registry.active_model_info(store).name == "v2"
    assert registry.use_model(store, "1", "cli").name == "v1" and registry.active_model_info(store).version == 1
    assert local_model(settings, store).digest == registry.active_model_info(store).digest
    assert registry.use_model(store, "shipped", "cli") is None and registry.active_model_info(store) is None
    assert local_model(settings, None) is not None
    with pytest.raises(NotFound, match="no model v9"):
        registry.use_model(store, "v9", "cli")
    with pytest.raises(Exception, match="not a model version"):
        registry.use_model(store, "latest", "cli")
    actions = [(e["action"], json.loads(e["after_json"])) for e in store.audit_events("local_model") if e["action"] == "activated"]
    assert [a["active"] for _, a in actions] == ["v1", "v2", "v1", "shipped"]


def test_build_classifier_answers_with_the_active_model(store, settings, fake_fit, monkeypatch):
    _correct(store, "We asked to go down to two seats; this invoice bills five.", "dispute")
    _scores(monkeypatch, 0.88, 0.88)
    retrain.retrain(store, settings, [], actor="cli")
    digest = registry.active_model_info(store).digest
    reply = Reply(subject="Re: INV-1", text="We will pay on Friday.")
    for mode in ("local", "auto"):
        assert build_classifier(settings, store, mode).classify(reply).model.endswith(digest)
    assert not build_classifier(settings, None, "local").classify(reply).model.endswith(digest)


def test_a_model_from_another_release_is_not_used(store, settings, fake_fit, monkeypatch):
    _correct(store, "FYI - remittance advice attached, paid yesterday.", "paid")
    _scores(monkeypatch, 0.88, 0.88)
    retrain.retrain(store, settings, [], actor="cli")
    store.db.execute("update local_models set feature_version = 'local-0'")
    assert registry.load_active(store) is None
    assert not registry.list_models(store)[0].usable
    with pytest.raises(InvalidTransition, match="another release"):
        registry.use_model(store, "v1", "cli")


def test_weights_must_match_the_rows():
    with pytest.raises(ClassifierError, match="2 weights for 1 training rows"):
        train([retrain.TrainingRow("s", "t", "paid", False)], weights=[1.0, 2.0])


def test_settings_bound_the_gate_and_the_weight():
    with pytest.raises(ValueError, match="max_test_drop"):
        Settings(classifier={"max_test_drop": -0.1})
    with pytest.raises(ValueError, match="team_weight"):
        Settings(classifier={"team_weight": 0})


def test_old_inactive_versions_drop_their_weights(store, settings, fake_fit, monkeypatch):
    monkeypatch.setattr(registry, "KEEP_WEIGHTS", 1)
    _correct(store, "Please use our Coupa portal for all invoices from now on.", "request")
    for _ in range(2):
        _scores(monkeypatch, 0.88, 0.88)
        retrain.retrain(store, settings, [], actor="cli")
    v2, v1 = registry.list_models(store)
    assert v2.active and v2.usable and not v1.usable and v1.test  # the record and scores stay
    with pytest.raises(InvalidTransition, match="weights were dropped"):
        registry.use_model(store, "v1", "cli")


def test_a_running_poller_picks_up_a_newly_activated_model(tmp_path, fake_fit, monkeypatch):
    from copilot.cli import poll
    from copilot.cli.app import App

    app = App({"db_path": tmp_path / "p.db"})
    used: list[str] = []
    monkeypatch.setattr(poll, "triage_pending", lambda store, classifier, router, **_: used.append(classifier.local.model.digest))
    monkeypatch.setattr(poll, "deliver_pending_alerts", lambda *a: None)
    triage = poll.triage_step(app)
    triage()
    _correct(app.store, "Please use our Coupa portal for all invoices from now on.", "request")
    _scores(monkeypatch, 0.88, 0.88)
    retrain.retrain(app.store, app.settings, [], actor="user:casey")  # e.g. "retrain now" in the web inbox
    triage()
    assert used[0] != used[1] == registry.active_model_info(app.store).digest
