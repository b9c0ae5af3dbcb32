"""Pages show the gist stored when a reply was classified, fall back to the local one, and never call a model."""

import html

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.chat_models import BaseChatModel

from copilot.classify import chatmodel
from copilot.classify.classifications import save_classification
from copilot.classify.gist import Gist
from copilot.config import Settings
from copilot.labels import Classification, Label
from copilot.web.app import create_app
from tests.web.conftest import open_store, signed_in
from tests.web.seed import add_message

STORED = "They say the invoice arrived and they will transfer EUR 1,200 on Friday."


@pytest.fixture
def llm_settings(web_settings: Settings) -> Settings:
    """The same database with an LLM configured, as a team using one would run the server."""
    return Settings(**{**web_settings.model_dump(), "llm": {"api_key": "sk-page-test-key-1234", "model": "gist-model"},
                       "web": {"secret_key": web_settings.web.secret_key.get_secret_value()}})  # fmt: skip


@pytest.fixture
def no_model_calls(monkeypatch):
    """Any attempt to build or call a chat model during a page render fails the test."""
    calls: list[str] = []

    def refuse(*args, **kwargs):
        calls.append("called")
        raise AssertionError("a page tried to call the model")

    monkeypatch.setattr(chatmodel, "make_chat_model", refuse)
    monkeypatch.setattr(BaseChatModel, "invoke", refuse)
    monkeypatch.setattr(BaseChatModel, "ainvoke", refuse)
    return calls


def _german_replies(settings: Settings) -> tuple[int, int]:
    with open_store(settings) as store:
        by_model = add_message(store, "C-1013", "AW: Zahlungserinnerung", "Guten Tag, wir haben die Rechnung erhalten "
                               "und werden die Zahlung bis Freitag überweisen. Mit freundlichen Grüßen", n=7,
                               from_addr="ap@copperfieldtax.example", status="routed")  # fmt: skip
        save_classification(store, by_model, Classification(label=Label.PROMISE_TO_PAY, confidence=0.9, source="llm"),
                            "triage", gist=Gist("German", STORED, "gist-model"))  # fmt: skip
        older = add_message(store, "C-1013", "AW: Rechnung", "Guten Tag, wir haben die Rechnung bereits bezahlt und "
                            "die Überweisung ist unterwegs. Mit freundlichen Grüßen", n=8,
                            from_addr="ap@copperfieldtax.example", status="routed")  # fmt: skip
        # A row classified before gists were stored: no gist column value.
        save_classification(store, older, Classification(label=Label.PAID, confidence=0.9, source="local"), "triage")
        draft = next(store.db["drafts"].rows_where("customer_id = 'C-1013' and status = 'draft'", order_by="id"))["id"]
    return draft, older


def test_pages_show_the_stored_gist_and_never_call_the_model(llm_settings: Settings, no_model_calls: list):
    draft_id, _ = _german_replies(llm_settings)
    with signed_in(create_app(llm_settings), "casey") as client:
        customer = html.unescape(client.get("/customers/C-1013").text)
        draft = html.unescape(client.get(f"/drafts/{draft_id}").text)
    assert f"German; in English: {STORED} (summary by gist-model)" in customer
    assert "German; in English: Says it is paid" in customer  # the older row: the local gist, built at render
    assert f"In English: {STORED}" in draft and "(summary by gist-model)" in draft
    assert "In English: Says it is paid" in draft
    assert no_model_calls == []


def test_the_guard_itself_catches_a_model_call(no_model_calls: list):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    with pytest.raises(AssertionError):
        GenericFakeChatModel(messages=iter([])).invoke("hello")
    assert no_model_calls == ["called"]


def test_a_label_corrected_on_the_web_keeps_the_stored_gist(llm_settings: Settings, no_model_calls: list):
    _german_replies(llm_settings)
    with open_store(llm_settings) as store:
        mid = next(store.db["classifications"].rows_where("gist_source = 'gist-model'"))["message_id"]
    client: TestClient
    with signed_in(create_app(llm_settings), "casey") as client:
        token = client.get("/inbox").text.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post(f"/messages/{mid}/label", data={"label": "paid", "csrf_token": token}).status_code == 303
    with open_store(llm_settings) as store:
        row = next(store.db["classifications"].rows_where("message_id = ? and is_current = 1", [mid]))
    assert (row["label"], row["gist"], row["gist_source"]) == ("paid", STORED, "gist-model")
    assert no_model_calls == []
