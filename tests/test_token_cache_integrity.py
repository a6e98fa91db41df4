"""What the cache keeps stays right and usable: one refresh token per account and client, no
user token passing for the app's, other libraries' data kept, damaged entries never a crash.

End to end against the emulator where it is behaviour on the wire.
"""

import json

import pytest

import msal
from support.apps import GRAPH_DEFAULT
from support.wire import token_posts

RT = msal.TokenCache.CredentialType.REFRESH_TOKEN
AT = msal.TokenCache.CredentialType.ACCESS_TOKEN


def signed_in_cache(signed_in):
    """Alice signed in to the web app, whose cache can be saved and loaded."""
    app, result = signed_in(token_cache=msal.SerializableTokenCache())
    return app, result, app.token_cache


# ---------------------------------------------------------------- one refresh token per client


def test_refreshes_with_other_scopes_keep_one_refresh_token_updated_in_place(emu, signed_in):
    app, first, cache = signed_in_cache(signed_in)
    [account] = app.get_accounts()
    [original] = cache.find(RT)
    latest = first
    for scopes in (["Mail.Read"], ["Calendars.Read"], ["User.Read", "Mail.Read"]):
        latest = app.acquire_token_silent(scopes, account, force_refresh=True)
        assert latest["token_source"] == "identity_provider", latest
    [kept] = cache.find(RT)
    assert kept["secret"] == latest["refresh_token"] != first["refresh_token"]
    assert kept["target"] == original["target"]  # The first one's place: same key, same target
    assert [k for k in json.loads(cache.serialize())[RT]] == [
        k for k in json.loads(_single_rt_state(original))[RT]
    ]

    emu.clear_requests()
    again = app.acquire_token_silent(["Calendars.Read"], account, force_refresh=True)
    assert again["token_source"] == "identity_provider"
    assert [p["form"]["refresh_token"] for p in token_posts(emu, "refresh_token")] == [
        latest["refresh_token"]
    ]


def _single_rt_state(rt):
    cache = msal.SerializableTokenCache()
    cache.modify(RT, rt, rt)
    return cache.serialize()


def test_a_document_with_several_refresh_tokens_per_client_still_refreshes(emu, signed_in, make_app):
    """Written before refresh tokens were kept one per client: the newest is tried first, and
    the refresh leaves one."""
    app, first, cache = signed_in_cache(signed_in)
    state = json.loads(cache.serialize())
    [(key, rt)] = state[RT].items()
    stale = dict(
        rt,
        secret="stale-refresh-token",
        target="Mail.Read",
        last_modification_time=str(int(rt["last_modification_time"]) - 86400),
    )
    stale_key = key.rsplit("--", 1)[0] + "--mail.read"
    state[RT] = {stale_key: stale, key: rt}  # The stale one first in the document

    loaded = msal.SerializableTokenCache()
    loaded.deserialize(json.dumps(state))
    web = make_app("web-app", token_cache=loaded)
    [account] = web.get_accounts()
    emu.clear_requests()
    result = web.acquire_token_silent(["Mail.Read"], account, force_refresh=True)
    assert result["token_source"] == "identity_provider", result
    assert [p["form"]["refresh_token"] for p in token_posts(emu, "refresh_token")] == [first["refresh_token"]]
    assert [e["secret"] for e in loaded.find(RT)] == [result["refresh_token"]]


# ---------------------------------------------------------------- user tokens are not app tokens


def test_a_user_token_without_an_account_is_never_served_as_the_apps_token(emu, signed_in, secret_values):
    app, first, cache = signed_in_cache(signed_in)
    # A user grant answered with neither client_info nor id_token: nothing names the user.
    body = {
        "access_token": "user-token-naming-nobody",
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "user-rt-naming-nobody",
        "scope": GRAPH_DEFAULT,
    }
    secret_values.update([body["access_token"], body["refresh_token"]])
    emu.inject("body", "token", body=json.dumps(body), content_type="application/json")
    user = app.acquire_token_by_refresh_token(first["refresh_token"], [GRAPH_DEFAULT])
    assert user["access_token"] == body["access_token"]

    emu.clear_requests()
    for_app = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert for_app["access_token"] != body["access_token"]
    assert for_app["token_source"] == "identity_provider"
    assert len(token_posts(emu, "client_credentials")) == 1
    assert not [
        e
        for e in cache.find(AT) + cache.find(RT)
        if e.get("home_account_id") is None and e["secret"] in (body["access_token"], body["refresh_token"])
    ]


def test_app_tokens_are_still_cached_without_an_account(make_app):
    app = make_app("confidential-secret")
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["access_token"] == first["access_token"]
    assert app.token_cache.find(AT)[0]["home_account_id"] is None


# ---------------------------------------------------------------- other libraries' top-level values


OTHER_VALUES = {
    "Version": 3,
    "Flags": [1, "two", None],
    "Note": "kept",
    "Empty": None,
    "Nested": {"k": [{"a": 1}]},
    "Truth": True,
}


def test_top_level_values_of_any_type_survive_a_round_trip(signed_in, make_app):
    _, _, cache = signed_in_cache(signed_in)
    state = dict(json.loads(cache.serialize()), **OTHER_VALUES)
    loaded = msal.SerializableTokenCache()
    loaded.deserialize(json.dumps(state))
    web = make_app("web-app", token_cache=loaded)
    [account] = web.get_accounts()
    assert web.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"
    web.acquire_token_silent(["Mail.Read"], account)  # A write (refresh) in between
    again = json.loads(loaded.serialize())
    assert {k: again[k] for k in OTHER_VALUES} == OTHER_VALUES


@pytest.mark.parametrize("section", ["AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata"])
@pytest.mark.parametrize("value", [[], "text", 3, None, True])
def test_a_known_section_that_is_not_an_object_is_refused(section, value):
    cache = msal.SerializableTokenCache()
    cache.deserialize(json.dumps({"Version": 1}))
    with pytest.raises(ValueError):
        cache.deserialize(json.dumps({section: value}))
    assert json.loads(cache.serialize()) == {"Version": 1}


# ---------------------------------------------------------------- damaged entries


def damage(state, account_key, at_key, rt_key):
    """Entries another library (or a bug) left unusable, next to the good ones."""
    account, at, rt = (state["Account"][account_key], state[AT][at_key], state[RT][rt_key])
    far = str(int(at["expires_on"]) + 3600)  # Would win as the token expiring last
    bad_at = {
        "no-secret": dict({k: v for k, v in at.items() if k != "secret"}, expires_on=far),
        "secret-number": dict(at, secret=12345, expires_on=far),
        "expiry-float-text": dict(at, secret="bad-1", expires_on=far + ".5"),
        "expiry-list": dict(at, secret="bad-2", expires_on=[far]),
        "token-type-object": dict(at, secret="bad-3", expires_on=far, token_type={"x": 1}),
        "home-empty": dict(at, secret="bad-4", expires_on=far, home_account_id=""),
    }
    bad_accounts = {
        "no-home": {k: v for k, v in account.items() if k != "home_account_id"},
        "home-empty": dict(account, home_account_id=""),
        "home-number": dict(account, home_account_id=7),
        "username-list": dict(account, home_account_id="x.y", username=["a"]),
        "env-missing": {k: v for k, v in account.items() if k != "environment"},
    }
    bad_rts = {
        "secret-missing": {k: v for k, v in rt.items() if k != "secret"},
        "secret-object": dict(rt, secret={"rt": 1}),
        "secret-empty": dict(rt, secret=""),
    }
    for name, entry in bad_at.items():
        state[AT]["damaged-at-" + name] = entry
    for name, entry in bad_accounts.items():
        state["Account"]["damaged-account-" + name] = entry
    # Damaged refresh tokens newer than the good one, so they would be tried first.
    for name, entry in bad_rts.items():
        entry["last_modification_time"] = str(int(rt["last_modification_time"]) + 60)
        state[RT]["damaged-rt-" + name] = entry
    state["IdToken"]["damaged-idt"] = {"home_account_id": account["home_account_id"]}
    state["AppMetadata"]["damaged-app"] = {"client_id": [], "family_id": {}}
    return state


def test_damaged_entries_are_skipped_and_kept_untouched(emu, signed_in, make_app):
    _, first, cache = signed_in_cache(signed_in)
    state = json.loads(cache.serialize())
    [account_key], [at_key], [rt_key] = state["Account"], state[AT], state[RT]
    state = damage(state, account_key, at_key, rt_key)
    damaged = {
        section: {k: v for k, v in entries.items() if k.startswith("damaged-")}
        for section, entries in state.items()
    }

    loaded = msal.SerializableTokenCache()
    loaded.deserialize(json.dumps(state))
    web = make_app("web-app", token_cache=loaded)
    accounts = web.get_accounts()
    assert [a["home_account_id"] for a in accounts] == [state["Account"][account_key]["home_account_id"]]
    hit = web.acquire_token_silent(["User.Read"], accounts[0])
    assert hit["token_source"] == "cache" and hit["access_token"] == first["access_token"]
    emu.clear_requests()
    refreshed = web.acquire_token_silent(["User.Read"], accounts[0], force_refresh=True)
    assert refreshed["token_source"] == "identity_provider", refreshed
    assert [p["form"]["refresh_token"] for p in token_posts(emu, "refresh_token")] == [first["refresh_token"]]
    assert web.get_accounts(username=accounts[0]["username"]) == accounts

    saved = json.loads(loaded.serialize())
    for section, entries in damaged.items():
        for key, entry in entries.items():
            assert saved[section][key] == entry, (section, key)

    # Signing out removes the account's tokens for this app, damaged ones included.
    web.remove_account(accounts[0])
    assert web.get_accounts() == []
    assert web.acquire_token_silent(["User.Read"], accounts[0]) is None
    saved = json.loads(loaded.serialize())
    assert not [k for k in saved[AT] if k.startswith("damaged-at-") and k != "damaged-at-home-empty"]
    assert set(saved["Account"]) == set(damaged["Account"])


def test_an_access_token_with_an_odd_expiry_is_not_served():
    cache = msal.SerializableTokenCache()
    at = {
        "credential_type": "AccessToken",
        "secret": "s",
        "home_account_id": None,
        "environment": "login.microsoftonline.com",
        "client_id": "c",
        "realm": "t",
        "target": "a",
        "expires_on": "1900000000.5",
    }
    cache.deserialize(json.dumps({AT: {"k": at}}))
    assert (
        cache.find_access_token(
            client_id="c",
            environments=["login.microsoftonline.com"],
            realm="t",
            home_account_id=None,
            scopes=["a"],
            now=0,
        )
        is None
    )
    assert cache.find(AT) == [at]


@pytest.mark.parametrize("expires_on", ["9" * 5000, "1e10", " 1900000000", "", None, True])
def test_an_expiry_that_is_not_epoch_seconds_is_skipped_not_a_crash(expires_on):
    cache = msal.SerializableTokenCache()
    at = {
        "secret": "s",
        "home_account_id": None,
        "environment": "login.microsoftonline.com",
        "client_id": "c",
        "realm": "t",
        "target": "a",
        "expires_on": expires_on,
    }
    cache.deserialize(json.dumps({AT: {"k": at}}))
    assert (
        cache.find_access_token(
            client_id="c",
            environments=["login.microsoftonline.com"],
            realm="t",
            home_account_id=None,
            scopes=["a"],
            now=0,
        )
        is None
    )
