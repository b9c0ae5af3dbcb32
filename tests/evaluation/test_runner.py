"""Running a classifier over a set: every reply answered, failures recorded, usage and latency captured."""

import json

import pytest

import copilot.classify
from copilot.classify.chatmodel import log_call
from copilot.config import LlmSettings
from copilot.evaluation.runner import RUN_SCHEMA, resolve_classifier, run_classifier, run_record
from tests.evaluation.conftest import SMALL, ReplayClassifier


def test_replayed_answers_reproduce_the_hand_scores(small, replay):
    result = run_classifier(replay, small, progress=False)
    record = run_record(SMALL, small, result)
    assert [r.text for r in replay.seen] == [g.text for g in small]
    assert replay.seen[2].sent_at.isoformat() == "2026-11-10"
    assert record["schema"] == RUN_SCHEMA and record["classifier"] == "replay"
    assert record["dataset"]["n"] == 10 and len(record["dataset"]["sha256"]) == 64
    assert record["provenance"] == {"source": {"local": 10}, "model": {}, "prompt_version": {}}
    m = record["metrics"]
    assert (m["accuracy"], m["strict_accuracy"], m["abstain_rate"]) == (pytest.approx(0.7), pytest.approx(0.6), pytest.approx(0.2))
    assert m["latency_ms"]["p50"] >= 0 and m["latency_ms"]["p95"] >= m["latency_ms"]["p50"]
    json.dumps(record)  # the run file is plain JSON


def test_a_classifier_error_is_scored_as_other_for_review(small, small_predictions):
    clf = ReplayClassifier(small, small_predictions, fail_on={"r1"})
    result = run_classifier(clf, small, progress=False)
    failed = next(p for p in result.predictions if p.id == "r1")
    assert (failed.label.value, failed.needs_review, failed.error) == ("other", True, "model timed out")
    assert len(result.predictions) == 10
    assert run_record(SMALL, small, result)["metrics"]["errors"] == 1


class _CountingClassifier(ReplayClassifier):
    """Exposes usage counters the way an LLM classifier may."""

    def __init__(self, *args):
        super().__init__(*args)
        self.usage = {"calls": 4, "input_tokens": 1000, "output_tokens": 100, "cost": 0.5}  # from earlier work

    def classify(self, reply):
        self.usage = {k: v + d for (k, v), d in zip(self.usage.items(), (1, 200, 20, 0.01), strict=True)}
        return super().classify(reply)


def test_usage_is_the_difference_of_the_classifiers_own_counters(small, small_predictions):
    result = run_classifier(_CountingClassifier(small, small_predictions), small, progress=False)
    assert result.usage == {"calls": 10, "input_tokens": 2000, "output_tokens": 200, "cost": pytest.approx(0.1)}


def test_usage_falls_back_to_the_llm_call_log(small, small_predictions, store):
    prices = LlmSettings(input_cost_per_million=1.0, output_cost_per_million=2.0)
    log_call(store, prices, purpose="classify", prompt_version="v0", input_tokens=999, output_tokens=9)  # before the run

    class Logging(ReplayClassifier):
        def classify(self, reply):
            log_call(store, prices, purpose="classify", prompt_version="v1", input_tokens=300, output_tokens=50)
            log_call(store, prices, purpose="classify", prompt_version="v1", outcome="cache_hit")
            return super().classify(reply)

    result = run_classifier(Logging(small, small_predictions), small, store=store, progress=False)
    assert result.usage == {"calls": 10, "input_tokens": 3000, "output_tokens": 500, "cost": pytest.approx(0.004)}


def test_no_usage_when_no_model_ran(small, replay, store):
    assert run_classifier(replay, small, store=store, progress=False).usage is None


def test_keyword_mode_needs_no_settings_or_store():
    def boom():
        raise AssertionError("not needed for the keyword baseline")

    resolved = resolve_classifier("keyword", boom, boom)
    assert resolved.classifier.name == "keyword" and resolved.notes == [] and resolved.store is None


def test_other_modes_go_through_build_classifier(monkeypatch, replay):
    calls = []
    monkeypatch.setattr(copilot.classify, "build_classifier", lambda s, st, m: calls.append((s, st, m)) or replay, raising=False)
    resolved = resolve_classifier("auto", lambda: "SETTINGS", lambda: "STORE")
    assert resolved.classifier is replay and resolved.store == "STORE"
    assert calls == [("SETTINGS", "STORE", "auto")]

