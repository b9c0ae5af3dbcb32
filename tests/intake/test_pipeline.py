"""Intake finds the classifier and router only where this build provides them."""

import importlib.machinery
import sys
import types

from copilot import pipeline


def test_missing_factory_means_no_classifier(monkeypatch, settings, store):
    monkeypatch.setattr(pipeline, "_feature", lambda module, name: None)
    assert pipeline.classifier_for(settings, store) is None
    assert pipeline.router_for(settings, None) is None


def test_factory_and_router_are_used_when_present(monkeypatch, settings, store, policy):
    seen = []
    fake = types.ModuleType("copilot_fake_classify")
    fake.__spec__ = importlib.machinery.ModuleSpec("copilot_fake_classify", None)
    fake.build_classifier = lambda s, store=None: ("classifier", s, store)
    fake.route_message = lambda st, mid, pol, s: seen.append((mid, pol, s))
    monkeypatch.setitem(sys.modules, "copilot_fake_classify", fake)
    real = pipeline._feature
    monkeypatch.setattr(pipeline, "_feature", lambda module, name: real("copilot_fake_classify", name))
    assert pipeline.classifier_for(settings, store) == ("classifier", settings, store)
    pipeline.router_for(settings, policy)(store, 7)
    assert seen == [(7, policy, settings)]


def test_absent_module_is_not_an_error():
    assert pipeline._feature("copilot.no_such_feature", "anything") is None
