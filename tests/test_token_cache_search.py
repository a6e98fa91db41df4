"""TokenCache.search(): what it yields, how it prunes expired access tokens, how find() and the
lookups the applications make go through it when a subclass overrides it, and what happens
when such an override fails."""

import json
import types

import pytest

import msal
from msal._cache import hooks

CT = msal.TokenCache.CredentialType
NOW = 1700000000
ENVS = ["login.microsoftonline.com"]
ENDPOINT = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"


def app_event(scope, expires_in=3600, client_id="client"):
    return {
        "client_id": client_id,
        "scope": [scope],
        "token_endpoint": ENDPOINT,
        "grant_type": "client_credentials",
        "response": {"access_token": "at-" + scope, "expires_in": expires_in},
    }


def cache_of(*added, cls=msal.SerializableTokenCache):
    """A cache holding app tokens: (scope, expires_in, added at) each."""
    cache = cls()
    for scope, expires_in, at in added:
        cache.add(app_event(scope, expires_in), now=at)
    cache.has_state_changed = False
    return cache


def stored_secrets(cache):
    return sorted(
        e["secret"]
        for e in json.loads(msal.SerializableTokenCache.serialize(cache)).get("AccessToken", {}).values()
    )


def test_search_is_a_lazy_generator_of_copies():
    cache = cache_of(("s1", 3600, NOW))
    found = cache.search(CT.ACCESS_TOKEN, now=NOW)
    assert isinstance(found, types.GeneratorType)
    (entry,) = found
    entry["secret"] = "tampered"
    assert [e["secret"] for e in cache.search(CT.ACCESS_TOKEN, now=NOW)] == ["at-s1"]


def test_search_prunes_the_expired_access_tokens_it_meets_when_iterated():
    cache = cache_of(("old", 100, NOW - 7200), ("edge", 100, NOW - 100), ("new", 3600, NOW))
    found = cache.search(CT.ACCESS_TOKEN, target=["new"], now=NOW)
    assert stored_secrets(cache) == ["at-edge", "at-new", "at-old"]  # Nothing happens yet
    assert [e["secret"] for e in found] == ["at-new"]
    assert cache.has_state_changed is True  # Through modify(), as the original does
    # Gone: the expired one, although another scope was asked for. Kept: one expiring right now.
    assert stored_secrets(cache) == ["at-edge", "at-new"]


def test_search_of_other_sections_and_find_with_a_past_now_prune_nothing():
    cache = cache_of(("s1", 100, NOW))
    assert cache.find(CT.ACCESS_TOKEN, now=0) and cache.find(CT.APP_METADATA)
    assert list(cache.search(CT.REFRESH_TOKEN)) == [] and list(cache.search("Nope")) == []
    assert cache.has_state_changed is False and stored_secrets(cache) == ["at-s1"]


def test_find_is_search_as_a_list_and_prunes_too():
    cache = cache_of(("old", 100, NOW - 7200), ("new", 3600, NOW))
    assert cache.find(CT.ACCESS_TOKEN, now=NOW) == list(cache.search(CT.ACCESS_TOKEN, now=NOW))
    assert stored_secrets(cache) == ["at-new"]


def test_the_lookups_of_a_cache_that_hooks_nothing_keep_expired_tokens():
    """Only search() prunes: a silent call tells the service an expired token from none."""
    cache = cache_of(("s1", 100, NOW - 7200), ("s2", 3600, NOW))
    found = cache.find_access_token(
        client_id="client", environments=ENVS, realm="tenant", home_account_id=None, scopes=["s1"], now=NOW
    )
    assert found is None and cache.has_state_changed is False
    assert stored_secrets(cache) == ["at-s1", "at-s2"]


class SearchHook(msal.SerializableTokenCache):
    """Overrides search() alone, as msal-extensions 1.2 and later do (not as a generator)."""

    def __init__(self, fail=False):
        super().__init__()
        self.searched, self.fail = [], fail

    def search(self, credential_type, **kwargs):
        self.searched.append(credential_type)
        if self.fail:
            raise OSError("the cache file could not be read")
        return super().search(credential_type, **kwargs)


def lookups(cache):
    """Every lookup the applications make, with the section each one reads."""
    return [
        (
            CT.ACCESS_TOKEN,
            lambda: cache.find_access_token(
                client_id="client",
                environments=ENVS,
                realm="tenant",
                home_account_id=None,
                scopes=["s1"],
                now=NOW,
            ),
        ),
        (
            CT.REFRESH_TOKEN,
            lambda: cache.find_refresh_tokens(home_account_id="h", environments=ENVS, client_id="client"),
        ),
        (CT.ACCOUNT, lambda: cache.find_accounts(environments=ENVS)),
        (
            CT.ID_TOKEN,
            lambda: cache.find_id_token(home_account_id="h", environments=ENVS, client_id="client"),
        ),
        (CT.APP_METADATA, lambda: cache.find_app_metadata(client_id="client", environments=ENVS)),
        (
            CT.APP_METADATA,
            lambda: cache.remove_account_data(home_account_id="h", environments=ENVS, client_id="client"),
        ),
        (CT.ACCESS_TOKEN, lambda: cache.find(CT.ACCESS_TOKEN, now=NOW)),
    ]


def test_an_overridden_search_sees_every_lookup_and_answers_stay_right():
    cache = cache_of(("s1", 3600, NOW), cls=SearchHook)
    for section, lookup in lookups(cache):
        cache.searched.clear()
        lookup()
        assert cache.searched == [section]
    found = cache.find_access_token(
        client_id="client", environments=ENVS, realm="tenant", home_account_id=None, scopes=["s1"], now=NOW
    )
    assert found["secret"] == "at-s1"


def test_an_overridden_search_prunes_through_its_own_path():
    cache = cache_of(("s1", 100, NOW - 7200), ("s2", 3600, NOW), cls=SearchHook)
    assert cache.find_access_token(
        client_id="client", environments=ENVS, realm="tenant", home_account_id=None, scopes=["s2"], now=NOW
    )
    assert stored_secrets(cache) == ["at-s2"]


def test_overrides_are_worked_out_once_per_class():
    assert msal.SerializableTokenCache()._read_hook is None
    assert msal.TokenCache()._read_hook is None
    assert SearchHook()._read_hook == "search"
    bases = (msal.TokenCache, msal.SerializableTokenCache)
    assert hooks.routing(SearchHook, bases) is hooks.routing(SearchHook, bases)


def test_classes_made_on_the_fly_are_each_routed_and_not_all_kept():
    made = []
    for n in range(hooks._MAX_ROUTINGS + 10):
        cls = type("Made%d" % n, (SearchHook if n % 2 else msal.SerializableTokenCache,), {})
        assert cls()._read_hook == ("search" if n % 2 else None)
        made.append(cls)
    assert len(hooks._ROUTINGS) <= hooks._MAX_ROUTINGS


def test_a_failing_search_override_fails_the_lookup_and_changes_nothing():
    cache = cache_of(("s1", 100, NOW - 7200), ("s2", 3600, NOW), cls=SearchHook)
    cache.add(
        {
            "client_id": "client",
            "scope": ["s3"],
            "token_endpoint": ENDPOINT,
            "response": {
                "access_token": "at-u",
                "refresh_token": "rt-u",
                "client_info": "eyJ1aWQiOiJ1IiwidXRpZCI6InQifQ",
            },
        },
        now=NOW,
    )
    before = msal.SerializableTokenCache.serialize(cache)
    cache.fail = True
    for _, lookup in lookups(cache):
        with pytest.raises(OSError, match="could not be read"):
            lookup()
    with pytest.raises(OSError):
        cache.remove_account_data(home_account_id="u.t", environments=ENVS, client_id="client")
    assert msal.SerializableTokenCache.serialize(cache) == before  # Nothing half-removed


def test_a_search_override_that_returns_nothing_is_named_in_the_error():
    class Forgetful(msal.SerializableTokenCache):
        def search(self, credential_type, **kwargs):
            super().search(credential_type, **kwargs)  # (forgot to return it)

    with pytest.raises(TypeError, match=r"Forgetful.search\(\) returned NoneType.*super\(\)"):
        Forgetful().find_accounts(environments=ENVS)


def test_an_application_over_a_failing_search_raises_it_and_keeps_the_cache(signed_in):
    cache = SearchHook()
    app, _ = signed_in(token_cache=cache)
    (account,) = app.get_accounts()
    before = msal.SerializableTokenCache.serialize(cache)
    cache.fail = True
    with pytest.raises(OSError, match="could not be read"):
        app.acquire_token_silent(["User.Read"], account)
    with pytest.raises(OSError, match="could not be read"):
        app.remove_account(account)
    assert msal.SerializableTokenCache.serialize(cache) == before
    cache.fail = False
    assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"
