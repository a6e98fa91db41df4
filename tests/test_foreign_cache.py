"""A token cache object that is none of msal's classes: a caller's duck-typed cache, or a
test's ``unittest.mock.MagicMock`` (azure-identity's own tests patch their persistent cache
loader to return one). The applications use it as the original does: they read through its
``search()``, write through ``add()`` and ``modify()``, and go to the network when its
``search()`` yields nothing."""

from unittest import mock

import msal

from support.apps import GRAPH_DEFAULT, build_app, sign_in
from support.wire import token_posts


class DelegatingCache(object):
    """A duck-typed cache: it keeps its entries in an msal cache it owns, and logs the calls
    the applications make on it."""

    def __init__(self):
        self.inner = msal.SerializableTokenCache()
        self.calls = []

    def search(self, credential_type, target=None, query=None, **kwargs):
        self.calls.append("search")
        return self.inner.search(credential_type, target=target, query=query, **kwargs)

    def add(self, event, **kwargs):
        self.calls.append("add")
        self.inner.add(event, **kwargs)

    def modify(self, credential_type, old_entry, new_key_value_pairs=None):
        self.calls.append("modify")
        self.inner.modify(credential_type, old_entry, new_key_value_pairs)


def test_a_duck_typed_cache_serves_client_credentials_from_its_search(emu):
    cache = DelegatingCache()
    app = build_app(emu, "confidential-secret", token_cache=cache)
    assert app.token_cache is cache
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    second = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert first["token_source"] == "identity_provider" and second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    assert len(token_posts(emu)) == 1
    assert {"search", "add"} <= set(cache.calls)
    app.remove_tokens_for_client()
    assert "modify" in cache.calls
    assert cache.inner.find(msal.TokenCache.CredentialType.ACCESS_TOKEN) == []


def test_a_duck_typed_cache_keeps_a_signed_in_user(emu):
    cache = DelegatingCache()
    _, result = sign_in(emu, "web-app", token_cache=cache)
    assert "access_token" in result, result
    app = build_app(emu, "web-app", token_cache=cache)
    [account] = app.get_accounts()
    silent = app.acquire_token_silent(["User.Read"], account, force_refresh=True)
    assert silent["token_source"] == "identity_provider"  # redeemed the refresh token it read
    app.remove_account(account)
    assert app.get_accounts() == []
    assert cache.inner.find(msal.TokenCache.CredentialType.REFRESH_TOKEN) == []


def test_a_magicmock_cache_is_empty_so_each_call_goes_to_the_network(emu):
    cache = mock.MagicMock()
    app = build_app(emu, "confidential-secret", token_cache=cache)
    for _ in range(2):
        result = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert result["token_source"] == "identity_provider", result
    assert len(token_posts(emu)) == 2
    assert cache.add.call_count == 2
    assert app.get_accounts() == []
