"""Users: argon2 hashes, validation with clear messages, and authentication."""

import pytest

from copilot.web.users import UserError, authenticate, create_user, list_users


def test_passwords_are_stored_as_argon2_hashes(store):
    uid = create_user(store, "Pat", "a-long-password", "collector", email="Pat@Example.test")
    row = store.db["users"].get(uid)
    assert row["username"] == "pat" and row["email"] == "pat@example.test"
    assert row["password_hash"].startswith("$argon2id$") and "a-long-password" not in row["password_hash"]
    assert store.audit_events("user", uid)[0]["action"] == "created"
    assert "password" not in (store.audit_events("user", uid)[0]["after_json"] or "")


def test_authenticate(store):
    create_user(store, "pat", "a-long-password", "admin")
    assert authenticate(store, "PAT ", "a-long-password")["role"] == "admin"
    assert authenticate(store, "pat", "a-long-passwore") is None
    assert authenticate(store, "nobody", "a-long-password") is None
    store.db["users"].update(1, {"active": 0})
    assert authenticate(store, "pat", "a-long-password") is None


@pytest.mark.parametrize(("username", "password", "role", "email", "message"), [
    ("x", "a-long-password", "collector", None, "2-64 lowercase letters"),
    ("has space", "a-long-password", "collector", None, "2-64 lowercase letters"),
    ("pat", "short", "collector", None, "at least 8 characters"),
    ("pat", "a-long-password", "boss", None, "role 'boss' is not one of collector, account_team, admin"),
    ("pat", "a-long-password", "collector", "not-an-email", "is not an email address"),
])  # fmt: skip
def test_bad_user_details_are_refused_with_a_reason(store, username, password, role, email, message):
    with pytest.raises(UserError, match=message):
        create_user(store, username, password, role, email=email)
    assert store.db["users"].count == 0


def test_duplicate_usernames_are_refused(store):
    create_user(store, "pat", "a-long-password", "collector")
    with pytest.raises(UserError, match="already exists"):
        create_user(store, "Pat", "another-password", "admin")
    assert [u["username"] for u in list_users(store)] == ["pat"]
