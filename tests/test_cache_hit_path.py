"""The cache hit path through an application, against the emulator: what it does not do."""

import logging
import sys
import time

import msal

from support.apps import GRAPH_DEFAULT


def test_a_cache_hit_through_the_application_does_no_extra_work(make_app):
    """The hit path neither makes ids or randomness, nor builds JSON, nor log records while the
    ``msal`` log is off (it is on, at DEBUG, only when the application's owner turns it on)."""
    app = make_app("confidential-secret")
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert first["token_source"] == "identity_provider"
    msal_logger = logging.getLogger("msal")
    level = msal_logger.level
    msal_logger.setLevel(logging.WARNING)
    try:
        hit, called = _called_during(lambda: app.acquire_token_for_client([GRAPH_DEFAULT]))
    finally:
        msal_logger.setLevel(level)
    assert hit["token_source"] == "cache" and hit["access_token"] == first["access_token"]
    assert "_stored_access_token" in called  # The profile did see the lookup (read in place)
    assert not called & {
        "uuid4",
        "urandom",
        "token_bytes",
        "dumps",
        "loads",
        "deepcopy",
        "getLogger",
        "debug",
        "info",
        "_log",
        "urlparse",
        "urlsplit",
    }


def _called_during(call):
    """What ``call`` returned, and the names of the functions (Python and C) it called."""
    called = set()

    def profile(frame, event, arg):
        if event == "call":
            called.add(frame.f_code.co_name)
        elif event == "c_call":
            called.add(getattr(arg, "__name__", ""))

    sys.setprofile(profile)
    try:
        result = call()
    finally:
        sys.setprofile(None)
    return result, called


def _lookups(app, scopes):
    """The token of one call, and whether it looked in the cache's index."""
    result, called = _called_during(lambda: app.acquire_token_for_client(scopes))
    return result, "_stored_access_token" in called


def test_an_application_serves_its_last_hit_again_while_the_cache_is_unchanged(make_app):
    app = make_app("confidential-secret")
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    hit, looked = _lookups(app, [GRAPH_DEFAULT])
    assert hit["access_token"] == first["access_token"] and looked
    again, looked = _lookups(app, [GRAPH_DEFAULT])
    assert again["access_token"] == first["access_token"] and again["token_source"] == "cache"
    assert not looked  # Served from what the application remembered
    assert 0 < again["expires_in"] <= hit["expires_in"]


def test_a_token_another_application_wrote_is_served_at_once(make_app):
    cache = msal.TokenCache()
    app = make_app("confidential-secret", token_cache=cache)
    other = make_app("confidential-secret", token_cache=cache)
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["access_token"] == first["access_token"]
    fresh = other.acquire_token_for_client([GRAPH_DEFAULT], claims_challenge='{"access_token": {}}')
    assert fresh["token_source"] == "identity_provider" and fresh["access_token"] != first["access_token"]
    hit, looked = _lookups(app, [GRAPH_DEFAULT])
    assert looked and hit["access_token"] == fresh["access_token"]


def test_a_removed_or_replaced_cache_is_not_served_from_memory(make_app):
    cache = msal.SerializableTokenCache()
    app = make_app("confidential-secret", token_cache=cache)
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    app.acquire_token_for_client([GRAPH_DEFAULT])
    for at in cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN):
        cache.remove_at(at)
    second = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert second["token_source"] == "identity_provider"
    assert second["access_token"] != first["access_token"]
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["access_token"] == second["access_token"]
    cache.deserialize("{}")
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "identity_provider"


def test_a_remembered_token_near_its_expiry_is_not_served(make_app):
    app = make_app("confidential-secret")
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "cache"
    # Four minutes before the token expires: inside the five minutes in which none is served
    later = time.time() + first["expires_in"] - 240
    app._ctx = app._ctx._replace(now=lambda: later)
    renewed = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert renewed["token_source"] == "identity_provider"
    assert renewed["access_token"] != first["access_token"]


def test_what_an_application_remembered_is_forgotten_when_the_cache_changes(emu, make_app):
    """No copy of a token that left the cache stays with the application (a signed-out user's)."""
    cache = msal.TokenCache()
    app = make_app("confidential-secret", token_cache=cache)
    scopes = [[GRAPH_DEFAULT], ["api://{}/.default".format(emu.app("web-api")["client_id"])]]
    for each in scopes * 2:
        assert "access_token" in app.acquire_token_for_client(each)
    remembered = app._ctx.hits
    assert len(remembered) == 2
    for at in cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN):
        cache.remove_at(at)
    fresh = app.acquire_token_for_client(scopes[0])
    assert fresh["token_source"] == "identity_provider"
    assert len(remembered) == 0  # Both earlier answers forgotten at the first call that saw the change
    assert app.acquire_token_for_client(scopes[0])["access_token"] == fresh["access_token"]
    assert [entry[0] for entry in remembered.calls.values()] == [fresh["access_token"]]
