"""`copilot eval` as a user types it: scoring, predictions, report, comparison, gates and corrections."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import copilot.classify
from copilot.classify.classifications import save_classification
from copilot.cli import main
from copilot.labels import Classification
from copilot.store import Store
from tests.evaluation.conftest import SMALL

ROOT = Path(__file__).resolve().parents[2]


def _eval(*args: str):
    return CliRunner().invoke(main, ["--db", "c.db", "eval", *args])


def _run_file(tmp_path: Path, name: str, *extra: str) -> Path:
    result = _eval(str(SMALL), "--json", "--no-progress", *extra)
    assert result.exit_code == 0, result.output
    path = tmp_path / name
    path.write_text(result.stdout)
    return path


def test_the_shipped_test_set_scores_offline_as_json():
    result = _eval(str(ROOT / "eval" / "datasets" / "test.jsonl"), "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    m = run["metrics"]
    assert m["n"] == run["dataset"]["n"] >= 120
    for key in ("accuracy", "strict_accuracy", "macro_f1", "per_class", "confusion", "escalation", "promise_date",
                "abstain_rate", "latency_ms", "usage"):  # fmt: skip
        assert key in m
    assert 0 < m["accuracy"] <= 1 and m["accuracy"] >= m["strict_accuracy"]
    assert set(m["by_language"]) >= {"en", "de", "fr", "es", "nl"}
    if run["classifier"] == "keyword":
        assert not Path("c.db").exists()  # the baseline needs no database


def test_plain_output_predictions_and_report(tmp_path):
    preds, report = tmp_path / "p.jsonl", tmp_path / "r.html"
    result = _eval(str(SMALL), "--classifier", "keyword", "--predictions", str(preds), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("keyword on ") and "[keyword-v1 ×10]" in result.stdout and "macro-F1" in result.stdout and "dispute" in result.stdout
    lines = [json.loads(line) for line in preds.read_text().splitlines()]
    assert [p["id"] for p in lines] == ["a1", "a2", "p1", "p2", "d1", "d2", "f1", "f2", "r1", "o1"]
    assert all(set(p) == {"id", "label", "confidence", "frustrated", "promise_date", "evidence", "needs_review", "latency_ms",
                          "source", "model", "prompt_version"} for p in lines)  # fmt: skip
    assert {p["source"] for p in lines} == {"keyword"}
    assert "Confusion matrix" in report.read_text() and "Misclassified replies" in report.read_text()
    assert f"report written to {report}" in result.stderr


def test_options_may_come_before_the_dataset():
    result = _eval("--json", "--classifier", "keyword", "--no-progress", str(SMALL))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["classifier"] == "keyword"
    assert _eval("run", str(SMALL), "--no-progress").exit_code == 0  # the explicit name works too


def test_gates_on_a_scoring_run():
    # The keyword baseline, whose accuracy on the small set is known to be under 1: this tests the gates.
    assert _eval(str(SMALL), "--classifier", "keyword", "--no-progress", "--fail-under", "accuracy=0.01").exit_code == 0
    failed = _eval(str(SMALL), "--classifier", "keyword", "--no-progress", "--fail-under", "accuracy=1", "--fail-under", "macro_f1=0.01")
    assert failed.exit_code == 1
    assert "gate failed: accuracy is" in failed.stderr and "macro_f1" not in failed.stderr


def test_compare_prints_per_class_deltas_and_gates_the_second_run(tmp_path):
    a = _run_file(tmp_path, "a.json")
    data = json.loads(a.read_text())
    data["metrics"]["per_class"]["dispute"]["f1"] = 0.25  # pretend the new run got worse on disputes
    data["metrics"]["macro_f1"] = 0.5
    b = tmp_path / "b.json"
    b.write_text(json.dumps(data))
    result = _eval("--compare", str(a), str(b))
    assert result.exit_code == 0, result.output
    dispute = next(line for line in result.stdout.splitlines() if line.strip().startswith("dispute"))
    before = json.loads(a.read_text())["metrics"]["per_class"]["dispute"]["f1"]
    assert f"{(0.25 - before) * 100:+.1f} ▼" in dispute
    gated = _eval("--compare", str(a), str(b), "--fail-under", "macro_f1=0.8")
    assert gated.exit_code == 1 and "gate failed: macro_f1 is 0.5000, below the gate 0.8" in gated.stderr
    assert _eval("--compare", str(b), str(a), "--fail-under", "macro_f1=0.1").exit_code == 0
    as_json = json.loads(_eval("--compare", str(a), str(b), "--json").stdout)
    assert as_json["per_class"]["dispute"]["f1"]["b"] == 0.25 and as_json["failed_gates"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-under", "macro_f1"], "must look like metric=value"),
        (["--fail-under", "speed=0.5"], "unknown metric 'speed'"),
        (["--fail-under", "macro_f1=high"], "is not a number"),
        (["--fail-under", "macro_f1=80"], "between 0 and 1"),
    ],
)
def test_bad_gates_are_usage_errors(args, message):
    result = _eval(str(SMALL), *args)
    assert result.exit_code == 2 and message in result.output


def test_usage_mistakes(tmp_path):
    assert "give a DATASET.jsonl" in _eval("--json").output
    assert "--compare takes two run files" in _eval(str(SMALL), "--compare", "a", "b").output
    help_text = _eval("--help").output
    assert "copilot eval --compare RUN_A.json RUN_B.json" in help_text and "export-corrections" in help_text
    assert "copilot eval DATASET.jsonl" in CliRunner().invoke(main, ["eval"]).output


def test_bad_files_give_one_clear_message(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "hi", "label": "maybe", "frustrated": false}\n')
    result = _eval(str(bad))
    assert result.exit_code == 1 and "line 1: id '1': label: Input should be" in result.output
    assert "Traceback" not in result.output
    (tmp_path / "notrun.json").write_text('{"schema": "something-else"}')
    result = _eval("--compare", str(tmp_path / "notrun.json"), str(tmp_path / "notrun.json"))
    assert result.exit_code == 1 and "not a run file from `copilot eval --json`" in result.output


def _message(store: Store, **fields) -> int:
    row = {"direction": "inbound", "subject": "Re: INV-1", "text_reply": "We will pay on the 20th.", "text_full": "full",
           "sent_at": "2026-11-10T09:00:00+00:00", "headers_json": json.dumps({"Auto-Submitted": "no", "X-Secret": "drop me"}),
           "dedupe_key": str(fields), "status": "classified", **fields}  # fmt: skip
    return store.db["messages"].insert(row).last_pk


def test_export_corrections_writes_human_labels_with_the_text(tmp_path):
    store = Store.open(Path("c.db"))
    corrected, machine_only, empty = _message(store), _message(store, subject="other"), _message(store, text_reply="", text_full="")
    angry = _message(store, subject="angry", text_reply="Stop emailing me.", headers_json=None, sent_at=None)
    save_classification(store, corrected, Classification(label="dispute", confidence=0.6, source="local"), "triage")
    save_classification(store, corrected, Classification(label="promise_to_pay", confidence=1.0, source="human",
                                                         promise_date="2026-11-20"), "ana", "it is a promise")  # fmt: skip
    save_classification(store, machine_only, Classification(label="paid", confidence=0.9, source="llm"), "triage")
    save_classification(store, empty, Classification(label="frustration", confidence=1.0, source="human"), "ana")
    save_classification(store, angry, Classification(label="frustration", confidence=1.0, source="human"), "ana")
    store.close()
    out = tmp_path / "corrections.jsonl"
    result = _eval("export-corrections", str(out))
    assert result.exit_code == 0, result.output
    assert "wrote 2 corrected replies to" in result.stdout and "skipped 1 corrected message(s) with no text" in result.stderr
    row, angry_row = [json.loads(line) for line in out.read_text().splitlines()]
    assert angry_row == {"id": f"msg-{angry}", "subject": "angry", "text": "Stop emailing me.", "label": "frustration",
                         "alternates": [], "frustrated": True}  # the label implies the flag  # fmt: skip
    assert row == {"id": f"msg-{corrected}", "subject": "Re: INV-1", "text": "We will pay on the 20th.", "date": "2026-11-10",
                   "headers": {"Auto-Submitted": "no"}, "label": "promise_to_pay", "alternates": [], "frustrated": False,
                   "promise_date": "2026-11-20"}  # fmt: skip
    rescored = _eval(str(out), "--classifier", "keyword", "--json", "--no-progress")
    assert rescored.exit_code == 0 and json.loads(rescored.stdout)["metrics"]["n"] == 2


def test_export_with_no_corrections_writes_nothing(tmp_path):
    result = _eval("export-corrections", str(tmp_path / "none.jsonl"))
    assert result.exit_code == 0 and "no human corrections" in result.stdout
    assert not (tmp_path / "none.jsonl").exists()


def test_a_built_llm_classifier_reports_tokens_and_cost(monkeypatch, tmp_path, small, small_predictions):
    from tests.evaluation.conftest import ReplayClassifier

    class MeteredReplay(ReplayClassifier):
        name = "llm-replay"

        def __init__(self, *args):
            super().__init__(*args)
            self.usage = {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost": 0.0}

        def classify(self, reply):
            self.usage = {"calls": self.usage["calls"] + 1, "input_tokens": self.usage["input_tokens"] + 500,
                          "output_tokens": self.usage["output_tokens"] + 40, "cost": self.usage["cost"] + 0.001}  # fmt: skip
            return super().classify(reply)

    built = []
    monkeypatch.setattr(copilot.classify, "build_classifier",
                        lambda settings, store, mode: built.append(mode) or MeteredReplay(small, small_predictions), raising=False)  # fmt: skip
    report = tmp_path / "r.html"
    result = _eval(str(SMALL), "--classifier", "llm", "--no-progress", "--report", str(report))
    assert result.exit_code == 0, result.output
    assert built == ["llm"]
    assert "LLM: 10 calls, 5000 tokens in, 400 out, cost 0.0100" in result.stdout
    assert "accuracy  70.0%   strict  60.0%   macro-F1 0.717" in result.stdout  # the hand-scored fixture
    html = report.read_text()
    assert "5,400" in html and "$0.0100" in html
