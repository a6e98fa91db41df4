"""The contract msal-extensions relies on, checked with caches that only record its hooks (so
it holds without msal-extensions installed): writes go through modify(), lookups call find()
(msal-extensions before 1.2) or search() (1.2 and later)."""

import pytest

import msal

CT = msal.TokenCache.CredentialType


class RecordingCache(msal.SerializableTokenCache):
    """Hooks modify() and find() alone, as msal-extensions' PersistedTokenCache does."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def modify(self, credential_type, old_entry, new_key_value_pairs=None):
        self.calls.append(("modify", credential_type, new_key_value_pairs is None))
        super().modify(credential_type, old_entry, new_key_value_pairs)

    def find(self, credential_type, **kwargs):
        self.calls.append(("find", credential_type, None))
        return super().find(credential_type, **kwargs)


class SearchRecordingCache(RecordingCache):
    """Hooks search() instead of find(), as msal-extensions 1.2 and later do."""

    find = msal.SerializableTokenCache.find

    def search(self, credential_type, **kwargs):
        self.calls.append(("find", credential_type, None))
        return super().search(credential_type, **kwargs)


@pytest.mark.parametrize("cache_class", [RecordingCache, SearchRecordingCache])
def test_sign_in_silent_and_sign_out_go_through_the_hooks(emu, make_app, alice, cache_class):
    cache = cache_class()
    app = make_app("public", token_cache=cache)
    result = app.acquire_token_by_username_password(alice["username"], alice["password"], ["User.Read"])
    writes = [c for c in cache.calls if c[0] == "modify"]
    assert sorted(t for _, t, _ in writes) == sorted(
        [CT.ACCESS_TOKEN, CT.ACCOUNT, CT.ID_TOKEN, CT.REFRESH_TOKEN, CT.APP_METADATA]
    )
    assert cache.find(CT.REFRESH_TOKEN)[0]["secret"] == result["refresh_token"]
    cache.calls.clear()
    (account,) = app.get_accounts()
    assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"
    assert {t for kind, t, _ in cache.calls if kind == "find"} >= {CT.ACCOUNT, CT.ACCESS_TOKEN}
    cache.calls.clear()
    app.remove_account(account)
    removals = {t for kind, t, removal in cache.calls if kind == "modify" and removal}
    assert removals == {CT.ACCESS_TOKEN, CT.ACCOUNT, CT.ID_TOKEN, CT.REFRESH_TOKEN}
    assert app.get_accounts() == []


def test_modify_stores_an_entry_it_does_not_find_and_ignores_removing_one():
    cache = msal.SerializableTokenCache()
    entry = {
        "credential_type": CT.REFRESH_TOKEN,
        "secret": "rt",
        "home_account_id": "u.t",
        "environment": "login.microsoftonline.com",
        "client_id": "c",
        "target": "s",
    }
    cache.modify(CT.REFRESH_TOKEN, dict(entry, secret="absent"))  # removal: a no-op
    assert cache.find(CT.REFRESH_TOKEN) == []
    cache.modify(CT.REFRESH_TOKEN, entry, entry)
    assert cache.find(CT.REFRESH_TOKEN) == [entry]
    assert cache.find_refresh_tokens(
        home_account_id="u.t", client_id="c", environments=["login.microsoftonline.com"]
    ) == [entry]
