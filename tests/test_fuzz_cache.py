"""Fuzzing the token cache's inputs: serialized state, token responses, ID tokens, client_info.

Whatever comes in, the cache either accepts it or raises ValueError; it never crashes with
another exception, and what it accepts it can serialize again.
"""

import json

import pytest
from hypothesis import given, settings, strategies as st

import msal
from msal.exceptions import IdTokenError
from msal.oauth2cli import oidc

from fuzzing import FUZZ, json_like
from support.apps import GRAPH_DEFAULT, build_app
from support.tokens import b64_json, b64url


SECTIONS = ["AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata"]
FIELDS = [
    "credential_type",
    "secret",
    "home_account_id",
    "environment",
    "client_id",
    "target",
    "realm",
    "expires_on",
    "extended_expires_on",
    "cached_at",
    "refresh_on",
    "family_id",
    "username",
    "local_account_id",
    "authority_type",
    "token_type",
    "key_id",
]
ENVS = ["login.microsoftonline.com", "login.windows.net"]

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = json_like(allow_nan=False)
field_values = scalars | st.sampled_from(ENVS + ["client", "s1 s2", "uid.utid", "1"]) | json_values
entries = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), field_values, max_size=8)
cache_documents = st.dictionaries(
    st.sampled_from(SECTIONS) | st.text(max_size=8),
    st.dictionaries(st.text(max_size=12), entries | json_values, max_size=4) | json_values,
    max_size=6,
)


claims = st.dictionaries(
    st.sampled_from(
        [
            "sub",
            "oid",
            "tid",
            "preferred_username",
            "upn",
            "aud",
            "iss",
            "exp",
            "nbf",
            "nonce",
            "auth_time",
            "name",
        ]
    )
    | st.text(max_size=6),
    field_values,
    max_size=8,
)
id_tokens = (
    st.builds(
        lambda h, p, s: ".".join([h, p, s]),
        st.just(b64_json({"alg": "none"})),
        claims.map(b64_json),
        st.text(max_size=8),
    )
    | st.text(max_size=60)
    | st.lists(st.text(alphabet="abcXYZ012-_=.+/", max_size=12), max_size=4).map(".".join)
    | json_values
)
client_infos = (
    st.dictionaries(st.sampled_from(["uid", "utid"]) | st.text(max_size=4), field_values, max_size=3).map(
        b64_json
    )
    | json_values.map(b64_json)
    | st.text(max_size=30)
    | json_values
)
responses = st.fixed_dictionaries(
    {},
    optional={
        "access_token": st.text(max_size=20) | json_values,
        "refresh_token": st.text(max_size=20) | json_values,
        "id_token": id_tokens,
        "client_info": client_infos,
        "expires_in": field_values,
        "ext_expires_in": field_values,
        "refresh_in": field_values,
        "token_type": field_values,
        "foci": field_values,
        "scope": field_values,
    },
)
events = st.fixed_dictionaries(
    {
        "client_id": st.sampled_from(["client", "other"]) | st.text(max_size=6),
        "scope": st.lists(st.text(max_size=8), max_size=3) | st.text(max_size=10),
        "token_endpoint": st.sampled_from(
            [
                "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
                "https://login.windows.net/adfs/oauth2/token",
                "",
                "not a url",
                "https://[::1]:99/x",
            ]
        ),
        "response": responses,
    },
    optional={"data": st.dictionaries(st.sampled_from(["username", "key_id"]), field_values)},
)


def exercise_lookups(cache: msal.TokenCache) -> None:
    """Every lookup the application makes must cope with whatever the cache holds."""
    cache.find_access_token(
        client_id="client", environments=ENVS, realm="tenant", home_account_id=None, scopes=["s1"], now=0
    )
    for account in cache.find_accounts(environments=ENVS):
        hid = account.get("home_account_id")
        cache.find_refresh_tokens(home_account_id=hid, environments=ENVS, client_id="client", family_id="1")
        cache.find_id_token(home_account_id=hid, environments=ENVS, client_id="client")
        cache.remove_account_data(home_account_id=hid, environments=ENVS, client_id="client")
    cache.find_app_metadata(client_id="client", environments=ENVS)


@settings(max_examples=1500, **FUZZ)
@given(cache_documents)
def test_deserialize_random_documents(document):
    cache = msal.SerializableTokenCache()
    try:
        cache.deserialize(json.dumps(document))
    except ValueError:
        return
    exercise_lookups(cache)
    again = msal.SerializableTokenCache()
    again.deserialize(cache.serialize())


def test_non_string_environment_in_a_loaded_cache():
    """Found by fuzzing: an unhashable environment once broke the lookups with TypeError."""
    cache = msal.SerializableTokenCache()
    cache.deserialize('{"Account": {"k": {"environment": [], "home_account_id": "h"}}}')
    assert cache.find_accounts(environments=ENVS) == []


# ---------------------------------------------------------------- damaged entries

DROP = object()
# What may stand in a field of an otherwise good entry: nothing, another type, an odd value.
damaged_values = (
    st.just(DROP)
    | scalars
    | json_values
    | st.sampled_from(["", " ", "1.5", "1e9", "-1", "NaN", "uid.utid", "9" * 30])
)


def good_entries(env, client, realm, home="uid.utid", target="User.Read"):
    """One usable entry per section, as this package writes them."""
    far = str(4_000_000_000)
    return {
        "AccessToken": {
            "credential_type": "AccessToken",
            "secret": "at",
            "home_account_id": home,
            "environment": env,
            "client_id": client,
            "realm": realm,
            "target": target,
            "token_type": "Bearer",
            "cached_at": "1",
            "expires_on": far,
            "extended_expires_on": far,
        },
        "RefreshToken": {
            "credential_type": "RefreshToken",
            "secret": "rt",
            "home_account_id": home,
            "environment": env,
            "client_id": client,
            "target": target,
            "last_modification_time": "1",
        },
        "IdToken": {
            "credential_type": "IdToken",
            "secret": "a.b.c",
            "home_account_id": home,
            "environment": env,
            "realm": realm,
            "client_id": client,
        },
        "Account": {
            "home_account_id": home,
            "environment": env,
            "realm": realm,
            "local_account_id": "oid",
            "username": "u@x",
            "authority_type": "MSSTS",
        },
        "AppMetadata": {"client_id": client, "environment": env},
    }


def damaged_documents(env, client, realm):
    """Documents of good entries with some fields dropped or replaced."""
    good = good_entries(env, client, realm)

    def damaged(section):
        edits = st.dictionaries(st.sampled_from(sorted(good[section])), damaged_values, max_size=3)
        return edits.map(lambda e: {k: v for k, v in dict(good[section], **e).items() if v is not DROP})

    return st.fixed_dictionaries(
        {section: st.dictionaries(st.text(max_size=6), damaged(section), max_size=3) for section in good}
    )


def check_what_the_application_relies_on(cache: msal.TokenCache) -> None:
    """Lookups only answer entries the application can use as they are."""
    accounts = cache.find_accounts(environments=ENVS)
    for account in accounts:
        assert isinstance(account["home_account_id"], str) and account["home_account_id"]
        assert account.get("username") is None or isinstance(account["username"], str)
        if account.get("username"):
            assert cache.find_accounts(environments=ENVS, username=account["username"])
    for home in [a["home_account_id"] for a in accounts] + [None]:
        at = cache.find_access_token(
            client_id="client",
            environments=ENVS,
            realm="tenant",
            home_account_id=home,
            scopes=["user.read"],
            now=0,
        )
        if at is not None:
            assert isinstance(at["secret"], str) and int(at["expires_on"]) > 0
            assert isinstance(at.get("token_type") or "Bearer", str)
    for account in accounts:
        hid = account["home_account_id"]
        for rt in cache.find_refresh_tokens(
            home_account_id=hid, environments=ENVS, client_id="client", family_id="1"
        ):
            assert isinstance(rt["secret"], str) and rt["secret"]
        idt = cache.find_id_token(home_account_id=hid, environments=ENVS, client_id="client")
        assert idt is None or isinstance(idt["secret"], str)


@settings(max_examples=500, **FUZZ)
@given(damaged_documents(ENVS[0], "client", "tenant"))
def test_damaged_entries_are_skipped_kept_and_never_a_crash(document):
    cache = msal.SerializableTokenCache()
    cache.deserialize(json.dumps(document))
    check_what_the_application_relies_on(cache)
    assert json.loads(cache.serialize()) == document  # Lookups change nothing
    exercise_lookups(cache)  # Ends with remove_account_data for each account
    left = json.loads(cache.serialize())
    for section, entries in left.items():
        for key, entry in entries.items():
            assert entry == document[section][key]  # What stays, stays untouched
    again = msal.SerializableTokenCache()
    again.deserialize(cache.serialize())
    check_what_the_application_relies_on(again)


@pytest.fixture(scope="module")
def web_app(emulator):
    """A web app on the emulator, whose cache each example replaces."""
    app = build_app(emulator, "web-app", token_cache=msal.SerializableTokenCache())
    app.acquire_token_for_client([GRAPH_DEFAULT])  # Settles discovery once
    return app


@settings(max_examples=40, **FUZZ)
@given(st.data())
def test_damaged_entries_through_the_application(emulator, web_app, data):
    """get_accounts, silent calls (from the cache or by refresh), remove_account, serialize."""
    env, realm = web_app.authority.environment, emulator.tenant_id
    document = data.draw(damaged_documents(env, web_app.client_id, realm))
    cache = web_app.token_cache
    cache.deserialize(json.dumps(document))
    for account in web_app.get_accounts():
        result = web_app.acquire_token_silent(["User.Read"], account)
        assert result is None or "access_token" in result or "error" in result
        web_app.remove_account(account)
    assert web_app.get_accounts() == []
    msal.SerializableTokenCache().deserialize(cache.serialize())


DEEP_JSON = "[" * 100000
DEEP_ID_TOKEN = "e30." + b64url(DEEP_JSON.encode()) + ".sig"


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: msal.SerializableTokenCache().deserialize(DEEP_JSON), id="deserialize"),
        pytest.param(lambda: oidc.decode_part(b64url(DEEP_JSON.encode())), id="decode_part"),
        pytest.param(lambda: oidc.decode_id_token(DEEP_ID_TOKEN), id="decode_id_token"),
        pytest.param(
            lambda: msal.TokenCache().add(
                {
                    "client_id": "c",
                    "scope": [],
                    "response": {"id_token": DEEP_ID_TOKEN},
                    "token_endpoint": "https://h/t/oauth2/v2.0/token",
                }
            ),
            id="cache_add",
        ),
    ],
)
def test_deeply_nested_json_is_refused_with_value_error(call):
    try:
        call()
    except ValueError:
        pass


@settings(max_examples=1000, **FUZZ)
@given(
    st.integers(1, 400).map(lambda n: "[" * n)
    | st.text(max_size=200)
    | st.binary(max_size=200)
    | json_values.map(json.dumps)
)
def test_deserialize_random_text(state):
    cache = msal.SerializableTokenCache()
    try:
        cache.deserialize(state)
    except ValueError:
        return
    json.loads(cache.serialize())


@settings(max_examples=1500, **FUZZ)
@given(st.lists(events, min_size=1, max_size=3))
def test_add_random_token_responses(batch):
    cache = msal.SerializableTokenCache()
    for event in batch:
        cache.add(event, now=1_700_000_000)
    exercise_lookups(cache)
    restored = msal.SerializableTokenCache()
    restored.deserialize(cache.serialize())


@settings(max_examples=1000, **FUZZ)
@given(st.text(max_size=60) | json_values.map(b64_json) | st.binary(max_size=40).map(b64url) | json_values)
def test_decode_part_gives_a_dict_or_value_error(raw):
    try:
        decoded = oidc.decode_part(raw)
    except ValueError:
        return
    assert isinstance(decoded, dict)


@settings(max_examples=1000, **FUZZ)
@given(id_tokens)
def test_decode_id_token_gives_a_dict_or_id_token_error(token):
    try:
        decoded = oidc.decode_id_token(token)
    except IdTokenError:
        return
    assert isinstance(decoded, dict)


@settings(max_examples=1000, **FUZZ)
@given(
    claims,
    st.sampled_from([None, "https://issuer/{tenantid}/v2.0", "https://issuer/t/v2.0"]),
    st.none() | st.text(max_size=5),
    st.none() | st.integers(0, 10**6),
)
def test_validate_id_token_raises_only_id_token_error(payload, issuer, nonce, max_age):
    try:
        oidc.validate_id_token(
            payload, client_id="client", issuer=issuer, nonce=nonce, max_age=max_age, now=1_700_000_000
        )
    except IdTokenError:
        return
    assert payload.get("aud") == "client" or "client" in payload.get("aud", [])
