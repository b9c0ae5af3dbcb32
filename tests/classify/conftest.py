"""Classifier fixtures: one model trained from the shipped train split per session, cached in a temp folder."""

from pathlib import Path

import pytest

from copilot.classify.local import LocalClassifier, TrainedModel, load_model
from copilot.resources import datasets_dir


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    cache = tmp_path_factory.mktemp("model") / "classifier.pkl"
    return load_model(datasets_dir() / "train.jsonl", cache_path=cache)


@pytest.fixture
def local(trained_model: TrainedModel) -> LocalClassifier:
    return LocalClassifier(trained_model, review_threshold=0.45)


@pytest.fixture
def demo_mail() -> Path:
    from copilot.resources import demo_data_dir

    return demo_data_dir() / "mail"
