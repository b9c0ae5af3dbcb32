"""A subject changed in the web is a saved edit: a rewrite does not replace it unless the person says so."""

from fastapi.testclient import TestClient

from copilot.config import Settings
from tests.web.conftest import csrf_of, open_store


def _post(client: TestClient, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_of(client, "/worklist")})


def test_a_subject_only_edit_is_kept_from_a_rewrite(collector: TestClient, web_settings: Settings, ids: dict):
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    same_body = row["body"].replace("\n", "\r\n") + "  "  # a browser's line endings: not an edit
    _post(collector, f"/drafts/{draft}", {"action": "save", "subject": "About our call on Tuesday", "body": same_body})
    with open_store(web_settings) as store:
        saved = store.db["drafts"].get(draft)
    assert saved["subject"] == "About our call on Tuesday" and saved["original_subject"] == row["subject"]
    assert 'name="replace_edits"' in collector.get(f"/drafts/{draft}").text

    refused = _post(collector, f"/drafts/{draft}/regenerate", {"tone": "firmer"})
    assert refused.status_code == 303 and "Not rewritten" in collector.get(f"/drafts/{draft}").text
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft)["subject"] == "About our call on Tuesday"
