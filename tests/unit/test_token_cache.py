"""TokenCache: the unified cache schema, lookups, and (de)serialization.

The expected documents below record what MSAL for Python 1.22.0 writes for
the same events, so that caches stay interchangeable with it and with the
other MSAL libraries.
"""

import functools
import json
import os
import tempfile
import types

import pytest

import msal

from msal.token_cache import SerializableTokenCache, TokenCache

from support.tokens import b64_json, cache_event, client_info, token_response, unsigned_jwt

NOW = 1700000000
ENV = "login.microsoftonline.com"
ENVS = {ENV}


def id_token(**claims):
    base = {"sub": "SUB", "aud": "CID", "iss": "https://issuer", "iat": NOW, "exp": NOW + 3600}
    base.update(claims)
    return unsigned_jwt(base)


CLIENT_INFO = client_info("UID", "UTID")


def serialized(*events, now=NOW):
    cache = SerializableTokenCache()
    for e in events:
        cache.add(e, now=now)
    return json.loads(cache.serialize())


# ---------------------------------------------------------------- schema


def test_client_credentials_document():
    doc = serialized(
        cache_event(
            token_response(access_token="AT1", ext_expires_in=3600),
            scope=["https://graph.microsoft.com/.default"],
            grant_type="client_credentials",
        )
    )
    assert doc == {
        "AccessToken": {
            "-login.microsoftonline.com-accesstoken-cid-tenant-https://graph.microsoft.com/.default": {
                "credential_type": "AccessToken",
                "secret": "AT1",
                "home_account_id": None,
                "environment": "login.microsoftonline.com",
                "client_id": "CID",
                "target": "https://graph.microsoft.com/.default",
                "realm": "TENANT",
                "token_type": "Bearer",
                "cached_at": "1700000000",
                "expires_on": "1700003600",
                "extended_expires_on": "1700003600",
            },
        },
        "AppMetadata": {
            "appmetadata-login.microsoftonline.com-CID": {
                "client_id": "CID",
                "environment": "login.microsoftonline.com",
            },
        },
    }


def test_auth_code_document_with_client_info_and_id_token():
    idt = id_token(oid="OID", tid="TID", preferred_username="John@Contoso.com")
    doc = serialized(
        cache_event(
            token_response(
                access_token="AT2",
                ext_expires_in=7200,
                refresh_token="RT2",
                client_info=CLIENT_INFO,
                id_token=idt,
                scope="User.Read openid profile email",
            ),
            # The port is not part of the environment.
            token_endpoint="https://login.microsoftonline.com:443/TENANT/oauth2/v2.0/token",
        )
    )
    assert doc == {
        "AccessToken": {
            "uid.utid-login.microsoftonline.com-accesstoken-cid-tenant-user.read mail.read": {
                "credential_type": "AccessToken",
                "secret": "AT2",
                "home_account_id": "UID.UTID",
                "environment": "login.microsoftonline.com",
                "client_id": "CID",
                # The requested scopes, not the response's "scope".
                "target": "User.Read Mail.Read",
                "realm": "TENANT",
                "token_type": "Bearer",
                "cached_at": "1700000000",
                "expires_on": "1700003600",
                "extended_expires_on": "1700007200",
            },
        },
        "Account": {
            "uid.utid-login.microsoftonline.com-tenant": {
                "home_account_id": "UID.UTID",
                "environment": "login.microsoftonline.com",
                "realm": "TENANT",
                "local_account_id": "OID",
                "username": "John@Contoso.com",
                "authority_type": "MSSTS",
            },
        },
        "IdToken": {
            "uid.utid-login.microsoftonline.com-idtoken-cid-tenant-": {
                "credential_type": "IdToken",
                "secret": idt,
                "home_account_id": "UID.UTID",
                "environment": "login.microsoftonline.com",
                "realm": "TENANT",
                "client_id": "CID",
            },
        },
        "RefreshToken": {
            "uid.utid-login.microsoftonline.com-refreshtoken-cid--user.read mail.read": {
                "credential_type": "RefreshToken",
                "secret": "RT2",
                "home_account_id": "UID.UTID",
                "environment": "login.microsoftonline.com",
                "client_id": "CID",
                "target": "User.Read Mail.Read",
                "last_modification_time": "1700000000",
            },
        },
        "AppMetadata": {
            "appmetadata-login.microsoftonline.com-CID": {
                "client_id": "CID",
                "environment": "login.microsoftonline.com",
            },
        },
    }


def test_serialize_keeps_section_order_in_compact_json():
    cache = SerializableTokenCache()
    cache.add(
        cache_event(token_response(refresh_token="RT", client_info=CLIENT_INFO, id_token=id_token())), now=NOW
    )
    text = cache.serialize()
    assert list(json.loads(text)) == ["AccessToken", "Account", "IdToken", "RefreshToken", "AppMetadata"]
    # Compact: whitespace is not part of the schema, and every MSAL reads it.
    assert text.startswith('{"AccessToken":{"uid.utid-')
    assert SerializableTokenCache().serialize() == "{}"


def test_foci_keeps_client_id_key_and_records_family():
    doc = serialized(cache_event(token_response(refresh_token="RT", client_info=CLIENT_INFO, foci="1")))
    assert doc["RefreshToken"] == {
        "uid.utid-login.microsoftonline.com-refreshtoken-cid--user.read mail.read": {
            "credential_type": "RefreshToken",
            "secret": "RT",
            "home_account_id": "UID.UTID",
            "environment": "login.microsoftonline.com",
            "client_id": "CID",
            "target": "User.Read Mail.Read",
            "last_modification_time": "1700000000",
            "family_id": "1",
        },
    }
    assert doc["AppMetadata"] == {
        "appmetadata-login.microsoftonline.com-CID": {
            "client_id": "CID",
            "environment": "login.microsoftonline.com",
            "family_id": "1",
        }
    }


def test_non_foci_response_replaces_foci_entries():
    doc = serialized(
        cache_event(token_response(refresh_token="RT1", client_info=CLIENT_INFO, foci="1")),
        cache_event(token_response(refresh_token="RT2", client_info=CLIENT_INFO)),
    )
    (rt,) = doc["RefreshToken"].values()
    assert rt["secret"] == "RT2" and "family_id" not in rt
    assert "family_id" not in doc["AppMetadata"]["appmetadata-login.microsoftonline.com-CID"]


def test_adfs_without_client_info_uses_sub_and_upn():
    doc = serialized(
        cache_event(
            token_response(refresh_token="RT", id_token=id_token(upn="u@contoso.com")),
            token_endpoint="https://fs.contoso.com/adfs/oauth2/token",
        )
    )
    assert list(doc["AccessToken"]) == ["sub-fs.contoso.com-accesstoken-cid-adfs-user.read mail.read"]
    assert list(doc["RefreshToken"]) == ["sub-fs.contoso.com-refreshtoken-cid--user.read mail.read"]
    assert list(doc["IdToken"]) == ["sub-fs.contoso.com-idtoken-cid-adfs-"]
    assert doc["Account"] == {
        "sub-fs.contoso.com-adfs": {
            "home_account_id": "SUB",
            "environment": "fs.contoso.com",
            "realm": "adfs",
            "local_account_id": "SUB",
            "username": "u@contoso.com",
            "authority_type": "ADFS",
        }
    }
    assert list(doc["AppMetadata"]) == ["appmetadata-fs.contoso.com-CID"]


def test_refresh_in_becomes_refresh_on():
    doc = serialized(cache_event(token_response(refresh_in=1800, ext_expires_in=0)))
    (at,) = doc["AccessToken"].values()
    assert at["refresh_on"] == "1700001800"
    assert at["extended_expires_on"] == "1700000000"
    assert "refresh_on" not in next(iter(serialized(cache_event(token_response()))["AccessToken"].values()))


def test_missing_expires_in_defaults_to_ten_minutes_and_strings_are_accepted():
    (at,) = serialized(cache_event({"access_token": "AT"}))["AccessToken"].values()
    assert (at["token_type"], at["expires_on"], at["extended_expires_on"]) == (
        "Bearer",
        "1700000600",
        "1700000600",
    )
    (at,) = serialized(cache_event({"access_token": "AT", "expires_in": "3600", "refresh_in": "60"}))[
        "AccessToken"
    ].values()
    assert (at["expires_on"], at["refresh_on"]) == ("1700003600", "1700000060")


def test_environment_override_port_and_case():
    doc = serialized(cache_event(token_response(client_info=CLIENT_INFO), environment="login.windows.net"))
    assert list(doc["Account"]) == ["uid.utid-login.windows.net-tenant"]
    doc = serialized(
        cache_event(
            token_response(), token_endpoint="https://Login.MicrosoftOnline.COM:8443/Tenant/oauth2/v2.0/token"
        )
    )
    ((key, at),) = doc["AccessToken"].items()
    assert key == "-login.microsoftonline.com-accesstoken-cid-tenant-user.read mail.read"
    assert (at["environment"], at["realm"]) == ("login.microsoftonline.com", "Tenant")


def test_target_is_the_requested_scopes_verbatim():
    doc = serialized(cache_event(token_response(scope="A B"), scope=[]))
    assert list(doc["AccessToken"]) == ["-login.microsoftonline.com-accesstoken-cid-tenant-"]
    doc = serialized(cache_event(token_response(), scope=["B", "a"]))
    assert next(iter(doc["AccessToken"].values()))["target"] == "B a"


@pytest.mark.parametrize(
    "claims, data, username, local_id",
    [
        ({"preferred_username": "p@x", "upn": "u@x", "oid": "OID"}, {}, "p@x", "OID"),
        ({"upn": "u@x"}, {}, "u@x", "SUB"),
        ({"email": "e@x"}, {}, "", "SUB"),
        ({"preferred_username": None, "upn": "u@x"}, {}, "", "SUB"),
        ({}, {"username": "Data@User.com"}, "Data@User.com", "SUB"),
        ({"preferred_username": "p@x"}, {"username": "Data@User.com"}, "p@x", "SUB"),
    ],
)
def test_account_username_and_local_account_id(claims, data, username, local_id):
    doc = serialized(
        cache_event(
            token_response(client_info=CLIENT_INFO, id_token=id_token(**claims)),
            grant_type="password",
            data=data,
        )
    )
    (account,) = doc["Account"].values()
    assert account["username"] == username
    assert account["local_account_id"] == local_id


def test_account_from_client_info_alone():
    doc = serialized(cache_event({"refresh_token": "RT", "client_info": CLIENT_INFO}))
    assert "AccessToken" not in doc and "IdToken" not in doc
    assert doc["Account"]["uid.utid-login.microsoftonline.com-tenant"] == {
        "home_account_id": "UID.UTID",
        "environment": ENV,
        "realm": "TENANT",
        "local_account_id": None,
        "username": "",
        "authority_type": "MSSTS",
    }


def test_client_info_without_utid_falls_back_to_sub_or_nothing():
    half = b64_json({"uid": "U"})
    assert "Account" not in serialized(cache_event(token_response(client_info=half)))
    doc = serialized(cache_event(token_response(client_info=half, id_token=id_token())))
    assert next(iter(doc["Account"].values()))["home_account_id"] == "SUB"


def test_ssh_cert_key_id_is_kept():
    doc = serialized(
        cache_event(token_response(token_type="ssh-cert"), data={"token_type": "ssh-cert", "key_id": "KID"})
    )
    ((key, at),) = doc["AccessToken"].items()
    assert key == "-login.microsoftonline.com-accesstoken-cid-tenant-user.read mail.read"
    assert (at["token_type"], at["key_id"]) == ("ssh-cert", "KID")


@pytest.mark.parametrize("bad", ["garbage", "a.!!!.c", "a." + b64_json([1, 2]) + ".c", "a..c"])
def test_malformed_id_token_is_ignored(bad):
    doc = serialized(cache_event(token_response(client_info=CLIENT_INFO, id_token=bad)))
    assert "IdToken" not in doc
    assert next(iter(doc["Account"].values()))["local_account_id"] is None
    # Without client_info there is no identity at all: the user's tokens are not kept,
    # since without an account they would pass for the app's.
    doc = serialized(cache_event(token_response(id_token=bad, refresh_token="RT")))
    assert set(doc) == {"AppMetadata"}


@pytest.mark.parametrize("bad", ["!!!", b64_json([1]), b64_json("x"), "e30"])
def test_malformed_client_info_is_ignored(bad):
    doc = serialized(cache_event(token_response(client_info=bad, id_token=id_token())))
    assert list(doc["Account"]) == ["sub-login.microsoftonline.com-tenant"]


def test_same_key_replaces_and_overlapping_scopes_coexist():
    doc = serialized(
        cache_event(token_response(access_token="AB"), scope=["A", "B"]),
        cache_event(token_response(access_token="BC"), scope=["B", "C"]),
        cache_event(token_response(access_token="ab2"), scope=["a", "b"]),
        cache_event(token_response(access_token="BA"), scope=["B", "A"]),
    )
    assert {k.rsplit("-", 1)[1]: v["secret"] for k, v in doc["AccessToken"].items()} == {
        "a b": "ab2",
        "b c": "BC",
        "b a": "BA",
    }


# ---------------------------------------------------------------- lookups


def populated(cls=TokenCache):
    cache = cls()
    ci2 = client_info("U2", "UTID")
    cache.add(
        cache_event(
            token_response(access_token="AT_APP", expires_in=7200),
            scope=[".default"],
            grant_type="client_credentials",
        ),
        now=NOW,
    )
    cache.add(
        cache_event(
            token_response(
                access_token="AT_A",
                refresh_token="RT_A",
                client_info=CLIENT_INFO,
                id_token=id_token(preferred_username="John@Contoso.com"),
                foci="1",
            ),
            scope=["A"],
        ),
        now=NOW,
    )
    # A later response for the same account replaces its Account entry wholesale,
    # and one for the same client replaces its AppMetadata: keep both complete here.
    cache.add(
        cache_event(
            token_response(
                access_token="AT_B",
                refresh_token="RT_FAM",
                client_info=CLIENT_INFO,
                id_token=id_token(preferred_username="John@Contoso.com"),
                foci="1",
            ),
            client_id="CID2",
            scope=["B"],
        ),
        now=NOW,
    )
    cache.add(
        cache_event(
            token_response(
                access_token="AT_U2",
                refresh_token="RT_U2",
                client_info=ci2,
                id_token=id_token(preferred_username="two@x"),
                foci="1",
            )
        ),
        now=NOW,
    )
    return cache


def test_find_access_token_basic_and_case_insensitive_scopes():
    cache = populated()
    found = cache.find_access_token(
        client_id="CID", environments=ENVS, realm="TENANT", home_account_id="UID.UTID", scopes=["a"], now=NOW
    )
    assert found["secret"] == "AT_A"
    assert (
        cache.find_access_token(
            client_id="CID",
            environments=ENVS,
            realm="TENANT",
            home_account_id="UID.UTID",
            scopes=["A", "B"],
            now=NOW,
        )
        is None
    )
    assert (
        cache.find_access_token(
            client_id="CID",
            environments={"login.windows.net"},
            realm="TENANT",
            home_account_id="UID.UTID",
            scopes=["A"],
            now=NOW,
        )
        is None
    )
    assert (
        cache.find_access_token(
            client_id="CID",
            environments=ENVS,
            realm="OTHER",
            home_account_id="UID.UTID",
            scopes=["A"],
            now=NOW,
        )
        is None
    )
    app = cache.find_access_token(
        client_id="CID",
        environments=[ENV],
        realm="TENANT",
        home_account_id=None,
        scopes=[".DEFAULT"],
        now=NOW,
    )
    assert app["secret"] == "AT_APP" and app["home_account_id"] is None


def test_find_access_token_expiry_margin():
    cache = populated()
    kw = dict(client_id="CID", environments=ENVS, realm="TENANT", home_account_id="UID.UTID", scopes=["A"])
    assert cache.find_access_token(now=NOW + 3600 - 301, **kw) is not None
    assert cache.find_access_token(now=NOW + 3600 - 300, **kw) is None
    assert cache.find_access_token(now=NOW + 4000, **kw) is None


def test_find_access_token_prefers_latest_expiry_and_returns_a_copy():
    cache = TokenCache()
    cache.add(cache_event(token_response(access_token="SHORT", expires_in=1000), scope=["A", "B"]), now=NOW)
    cache.add(cache_event(token_response(access_token="LONG", expires_in=5000), scope=["A", "C"]), now=NOW)
    cache.add(cache_event(token_response(access_token="MID", expires_in=3000), scope=["C", "A"]), now=NOW)
    found = cache.find_access_token(
        client_id="CID", environments=ENVS, realm="TENANT", home_account_id=None, scopes=["A"], now=NOW
    )
    assert found["secret"] == "LONG"
    found["secret"] = "tampered"
    assert {e["secret"] for e in cache.find(TokenCache.CredentialType.ACCESS_TOKEN, now=NOW)} == {
        "SHORT",
        "LONG",
        "MID",
    }


@pytest.mark.parametrize("odd_target", [None, 5, ["a"], {"a": 1}])
def test_first_lookup_of_a_loaded_bucket_reads_targets_of_any_type(odd_target):
    """A loaded bucket's first lookup reads its tokens' targets before parsing any: it finds
    the covering token that expires last, even beside a target that is not a string (which
    covers no scope), and so do later lookups."""

    def entry(secret, target, expires_in):
        return {
            "credential_type": "AccessToken",
            "secret": secret,
            "home_account_id": None,
            "environment": ENV,
            "client_id": "CID",
            "realm": "TENANT",
            "target": target,
            "cached_at": str(NOW),
            "expires_on": str(NOW + expires_in),
        }

    tokens = [entry("ODD", odd_target, 9000), entry("AB", "a b", 3000), entry("A", "A", 5000)]
    tokens += [entry("C%d" % i, "c%d" % i, 3000) for i in range(5)]  # (a bucket past SCAN_LIMIT)
    cache = SerializableTokenCache()
    cache.deserialize(json.dumps({"AccessToken": {"k%d" % i: e for i, e in enumerate(tokens)}}))
    kw = dict(client_id="CID", environments=ENVS, realm="TENANT", home_account_id=None, now=NOW)
    assert cache.find_access_token(scopes=["a"], **kw)["secret"] == "A"  # the bucket's first lookup
    assert cache.find_access_token(scopes=["b"], **kw)["secret"] == "AB"  # a later one
    assert cache.find_access_token(scopes=["a"], **kw)["secret"] == "A"


def test_find_refresh_tokens_own_then_family():
    cache = populated()
    own = cache.find_refresh_tokens(home_account_id="UID.UTID", environments=ENVS, client_id="CID")
    assert [rt["secret"] for rt in own] == ["RT_A"]
    assert all(rt["credential_type"] == "RefreshToken" for rt in own)
    both = cache.find_refresh_tokens(
        home_account_id="UID.UTID", environments=ENVS, client_id="CID", family_id="1"
    )
    assert [rt["secret"] for rt in both] == ["RT_A", "RT_FAM"]
    other = cache.find_refresh_tokens(
        home_account_id="UID.UTID", environments=ENVS, client_id="CID3", family_id="1"
    )
    assert [rt["secret"] for rt in other] == ["RT_A", "RT_FAM"]
    assert cache.find_refresh_tokens(home_account_id="UID.UTID", environments={"x"}, client_id="CID") == []


def test_find_accounts_and_username_filter():
    cache = populated()
    accounts = cache.find_accounts(environments=ENVS)
    assert sorted(a["home_account_id"] for a in accounts) == ["U2.UTID", "UID.UTID"]
    (john,) = cache.find_accounts(environments=ENVS, username="JOHN@contoso.COM")
    assert john["home_account_id"] == "UID.UTID"
    assert cache.find_accounts(environments={"login.windows.net"}) == []


def test_find_accounts_dedupes_by_home_account_keeping_the_last_stored():
    cache = TokenCache()
    for tenant in ["OTHER", "TENANT", "THIRD"]:
        cache.add(
            cache_event(
                token_response(client_info=CLIENT_INFO, id_token=id_token(preferred_username=tenant)),
                token_endpoint="https://login.microsoftonline.com/%s/oauth2/v2.0/token" % tenant,
            ),
            now=NOW,
        )
    (account,) = cache.find_accounts(environments=ENVS)
    assert account["realm"] == "THIRD"


def test_find_id_token_and_app_metadata():
    cache = populated()
    idt = cache.find_id_token(home_account_id="UID.UTID", environments=ENVS, client_id="CID")
    assert idt["credential_type"] == "IdToken" and idt["realm"] == "TENANT"
    assert (
        cache.find_id_token(home_account_id="UID.UTID", environments=ENVS, client_id="CID", realm="OTHER")
        is None
    )
    assert cache.find_id_token(home_account_id="UID.UTID", environments=ENVS, client_id="CID3") is None
    assert cache.find_app_metadata(client_id="CID2", environments=ENVS) == {
        "client_id": "CID2",
        "environment": ENV,
        "family_id": "1",
    }
    assert cache.find_app_metadata(client_id="CID9", environments=ENVS) is None


def test_remove_account_data():
    cache = SerializableTokenCache()
    cache.deserialize(populated(SerializableTokenCache).serialize())
    cache.remove_account_data(home_account_id="UID.UTID", environments=ENVS, client_id="CID")
    assert cache.has_state_changed
    doc = json.loads(cache.serialize())
    secrets = {s: sorted(e.get("secret", "") for e in doc[s].values()) for s in doc}
    # RT_FAM belongs to another client but to the family CID used.
    assert secrets["RefreshToken"] == ["RT_U2"]
    assert secrets["AccessToken"] == ["AT_APP", "AT_B", "AT_U2"]
    # CID2's ID token of the account stays: only this client's are removed.
    assert sorted((e["home_account_id"], e["client_id"]) for e in doc["IdToken"].values()) == [
        ("U2.UTID", "CID"),
        ("UID.UTID", "CID2"),
    ]
    assert [e["home_account_id"] for e in doc["Account"].values()] == ["U2.UTID"]
    assert len(doc["AppMetadata"]) == 2
    assert cache.find_accounts(environments=ENVS)[0]["home_account_id"] == "U2.UTID"


# ---------------------------------------------------------------- generic API


def test_find_semantics():
    cache = populated()
    AT = TokenCache.CredentialType.ACCESS_TOKEN
    find = functools.partial(cache.find, now=NOW)  # the tokens' time: none expired
    assert len(find(AT)) == 4
    assert [e["secret"] for e in find(AT, target=["A"])] == ["AT_A"]
    assert find(AT, target=["a"]) == []  # find() compares scopes exactly
    assert [e["secret"] for e in find(AT, query={"home_account_id": None})] == ["AT_APP"]
    assert find(AT, query={"no_such_field": None}) == []
    q = {"client_id": "CID", "realm": "TENANT", "home_account_id": "UID.UTID"}
    assert [e["secret"] for e in find(AT, query=q)] == ["AT_A"]
    assert [e["secret"] for e in cache.search(AT, target=["A"], query=q, now=NOW)] == ["AT_A"]
    assert cache.find("NoSuchSection") == []
    assert isinstance(cache.search(AT), types.GeneratorType)


def test_modify_update_and_remove_keep_lookups_consistent():
    cache = SerializableTokenCache()
    cache.add(
        cache_event(token_response(refresh_token="RT", client_info=CLIENT_INFO, id_token=id_token())), now=NOW
    )
    cache.serialize()
    RT = TokenCache.CredentialType.REFRESH_TOKEN
    (rt,) = cache.find(RT)
    cache.update_rt(rt, "NEW")
    assert cache.has_state_changed
    (new,) = cache.find_refresh_tokens(home_account_id="UID.UTID", environments=ENVS, client_id="CID")
    assert new["secret"] == "NEW" and int(new["last_modification_time"]) > NOW
    # Moving an entry to another account via modify() keeps the same key but re-indexes it.
    cache.modify(RT, new, {"home_account_id": "X.Y"})
    assert cache.find_refresh_tokens(home_account_id="UID.UTID", environments=ENVS, client_id="CID") == []
    (moved,) = cache.find_refresh_tokens(home_account_id="X.Y", environments=ENVS, client_id="CID")
    cache.remove_rt(moved)
    assert cache.find(RT) == []
    at = cache.find(TokenCache.CredentialType.ACCESS_TOKEN, now=NOW)[0]
    cache.modify(TokenCache.CredentialType.ACCESS_TOKEN, at, {"target": "Z"})
    changed = cache.find(TokenCache.CredentialType.ACCESS_TOKEN, now=NOW)[0]
    assert changed["target"] == "Z"
    cache.remove_at(changed)  # located by content even though its key no longer matches
    assert (
        cache.find_access_token(
            client_id="CID", environments=ENVS, realm="TENANT", home_account_id="UID.UTID", scopes=[], now=NOW
        )
        is None
    )
    cache.remove_idt(cache.find(TokenCache.CredentialType.ID_TOKEN)[0])
    assert cache.find_id_token(home_account_id="UID.UTID", environments=ENVS, client_id="CID") is None
    cache.remove_account(cache.find(TokenCache.CredentialType.ACCOUNT)[0])
    assert cache.find_accounts(environments=ENVS) == []
    cache.modify(RT, {"credential_type": "RefreshToken", "secret": "absent"})  # no-op


def test_constants():
    assert TokenCache.CredentialType.ACCESS_TOKEN == "AccessToken"
    assert TokenCache.CredentialType.REFRESH_TOKEN == "RefreshToken"
    assert TokenCache.CredentialType.ACCOUNT == "Account"
    assert TokenCache.CredentialType.ID_TOKEN == "IdToken"
    assert TokenCache.CredentialType.APP_METADATA == "AppMetadata"
    assert TokenCache.AuthorityType.ADFS == "ADFS"
    assert TokenCache.AuthorityType.MSSTS == "MSSTS"
    assert issubclass(SerializableTokenCache, TokenCache)


# ---------------------------------------------------------------- (de)serialization


def test_has_state_changed_transitions():
    cache = SerializableTokenCache()
    assert cache.has_state_changed is False
    cache.add(cache_event(token_response()), now=NOW)
    assert cache.has_state_changed is True
    state = cache.serialize()
    assert cache.has_state_changed is False
    cache.modify("AccessToken", cache.find("AccessToken", now=NOW)[0], {"secret": "x"})
    assert cache.has_state_changed is True
    cache.deserialize(state)
    assert cache.has_state_changed is False
    assert cache.find("AccessToken", now=NOW)[0]["secret"] == "AT"


def test_unknown_sections_and_fields_survive_round_trip():
    state = {
        "AccessToken": {
            "k1": {
                "credential_type": "AccessToken",
                "secret": "s",
                "home_account_id": "h",
                "environment": ENV,
                "client_id": "CID",
                "realm": "TENANT",
                "target": "A",
                "expires_on": str(NOW + 3600),
                "x_dotnet_field": {"nested": [1, 2]},
            }
        },
        "Account": {},
        "UnknownSection": {"weird": {"anything": True}, "other": 5},
    }
    cache = SerializableTokenCache()
    cache.deserialize(json.dumps(state))
    assert json.loads(cache.serialize()) == state
    found = cache.find_access_token(
        client_id="CID", environments=ENVS, realm="TENANT", home_account_id="h", scopes=["a"], now=NOW
    )
    assert found["x_dotnet_field"] == {"nested": [1, 2]}
    cache.add(cache_event(token_response(refresh_token="RT")), now=NOW)
    assert json.loads(cache.serialize())["UnknownSection"] == state["UnknownSection"]


@pytest.mark.parametrize("state", [None, "", "   "])
def test_deserialize_empty_gives_empty_cache(state):
    cache = SerializableTokenCache()
    cache.add(cache_event(token_response()), now=NOW)
    cache.deserialize(state)
    assert cache.serialize() == "{}"
    assert (
        cache.find_access_token(
            client_id="CID", environments=ENVS, realm="TENANT", home_account_id=None, scopes=[], now=NOW
        )
        is None
    )


@pytest.mark.parametrize(
    "state",
    [
        "{",
        "[]",
        "123",
        '"text"',
        "null",
        '{"AccessToken": []}',
        '{"AccessToken": {"k": 1}}',
        '{"RefreshToken": "text"}',
        '{"Account": null}',
        42,
    ],
)
def test_corrupt_deserialize_raises_and_keeps_previous_state(state):
    cache = SerializableTokenCache()
    cache.add(cache_event(token_response()), now=NOW)
    before = cache.serialize()
    with pytest.raises(ValueError):
        cache.deserialize(state)
    assert cache.serialize() == before
    assert (
        cache.find_access_token(
            client_id="CID",
            environments=ENVS,
            realm="TENANT",
            home_account_id=None,
            scopes=["user.read"],
            now=NOW,
        )
        is not None
    )


def test_deserialize_rebuilds_indexes():
    a = SerializableTokenCache()
    a.add(
        cache_event(token_response(refresh_token="RT", client_info=CLIENT_INFO, id_token=id_token())), now=NOW
    )
    b = SerializableTokenCache()
    b.add(cache_event(token_response(access_token="OTHER")), now=NOW)
    b.deserialize(a.serialize())
    assert (
        b.find_access_token(
            client_id="CID", environments=ENVS, realm="TENANT", home_account_id=None, scopes=[], now=NOW
        )
        is None
    )
    assert (
        b.find_access_token(
            client_id="CID",
            environments=ENVS,
            realm="TENANT",
            home_account_id="UID.UTID",
            scopes=["mail.read"],
            now=NOW,
        )["secret"]
        == "AT"
    )
    assert b.find_refresh_tokens(home_account_id="UID.UTID", environments=ENVS, client_id="CID")
    assert b.find_id_token(home_account_id="UID.UTID", environments=ENVS, client_id="CID")
    assert b.find_app_metadata(client_id="CID", environments=ENVS)


def test_add_without_now_uses_the_clock():
    import time

    cache = TokenCache()
    before = int(time.time())
    cache.add(cache_event(token_response()))
    (at,) = cache.find("AccessToken", now=NOW)
    assert before <= int(at["cached_at"]) <= int(time.time())


def test_the_read_stamp_changes_with_every_write_and_reload_and_is_none_for_caches_that_reload():
    """What an application may serve again from memory is tied to this stamp."""
    from unittest import mock

    from msal._cache.foreign import ForeignCache
    from msal.persistence import PersistedTokenCache

    cache = msal.SerializableTokenCache()
    stamps = [cache._read_stamp()]
    cache.add(
        {
            "client_id": "c",
            "scope": ["s1"],
            "token_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            "response": {"access_token": "at", "expires_in": 3600, "token_type": "Bearer"},
        }
    )
    stamps.append(cache._read_stamp())
    for at in cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN):
        cache.remove_at(at)
    stamps.append(cache._read_stamp())
    cache.deserialize(cache.serialize())
    stamps.append(cache._read_stamp())
    assert None not in stamps and len(set(stamps)) == len(stamps)

    class Searching(msal.SerializableTokenCache):
        def search(self, *args, **kwargs):
            return super().search(*args, **kwargs)

    with tempfile.TemporaryDirectory() as d:
        persisted = PersistedTokenCache(os.path.join(d, "cache.bin"), allow_plaintext=True)
        assert persisted._read_stamp() is None
    assert Searching()._read_stamp() is None
    assert ForeignCache(mock.MagicMock())._read_stamp() is None


@pytest.mark.parametrize(
    "state, message",
    [
        ("{", "Token cache state is not valid JSON: Expecting property name enclosed in double quotes"),
        ("\ufeff{}", "Token cache state is not valid JSON: Unexpected UTF-8 BOM"),
        ("[" * 100000, "Token cache state is not valid JSON: nested too deeply"),
        ("[]", "Token cache state must be a JSON object of sections, got list"),
        ("null", "Token cache state must be a JSON object of sections, got NoneType"),
        (42, "Token cache state must be a JSON string, got int"),
        ('{"Account": null}', "Token cache section 'Account' must be a JSON object"),
        ('{"RefreshToken": [], "AccessToken": 1}', "Token cache section 'AccessToken' must be a JSON object"),
        (
            b'{"IdToken": {"a": {}, "b": []}}',
            "Token cache entry 'b' in section 'IdToken' must be a JSON object",
        ),
    ],
)
def test_each_corrupt_state_is_refused_with_its_own_message(state, message):
    with pytest.raises(ValueError) as refused:
        SerializableTokenCache().deserialize(state)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize("state", [None, "", "  \n", " \x1c", "\x85", b" ", bytearray(b"\t")])
def test_blank_states_are_an_empty_cache(state):
    cache = SerializableTokenCache()
    cache.add(cache_event(token_response()), now=NOW)
    cache.deserialize(state)
    assert cache.serialize() == "{}"


def test_each_cache_has_its_own_key_makers_made_when_first_used():
    a, b = SerializableTokenCache(), SerializableTokenCache()
    a.key_makers[TokenCache.CredentialType.APP_METADATA] = lambda **e: "custom-" + str(e.get("client_id"))
    metadata = {"client_id": "CID", "environment": ENV}
    for cache in (a, b):  # Stored under the key its key maker gives, as it was not there
        cache.modify(TokenCache.CredentialType.APP_METADATA, metadata, {"family_id": "1"})
    assert list(json.loads(a.serialize())["AppMetadata"]) == ["custom-CID"]
    assert list(json.loads(b.serialize())["AppMetadata"]) == ["appmetadata-login.microsoftonline.com-CID"]
    b.key_makers = {}  # Replaced whole, as the original's attribute can be
    assert b.key_makers == {}


def test_a_new_cache_indexes_nothing_until_used_and_each_load_gets_a_new_index():
    cache = SerializableTokenCache()
    assert cache._index is None
    assert cache.find_accounts(environments=ENVS) == []
    assert cache._index is None  # A few accounts are listed by a look at each
    source = SerializableTokenCache()
    source.add(cache_event(token_response(client_info=CLIENT_INFO, id_token=id_token())), now=NOW)
    cache.deserialize(source.serialize())
    first = cache._index
    assert first is not None and TokenCache.CredentialType.ACCESS_TOKEN not in first.stale
    cache.deserialize(source.serialize())
    assert cache._index is not first
    found = cache.find_access_token(
        client_id="CID", environments=ENVS, realm="TENANT", home_account_id="UID.UTID", scopes=[], now=NOW
    )
    assert found is not None and found["home_account_id"] == "UID.UTID"


def test_a_document_replaced_behind_the_caches_back_is_indexed_anew():
    cache = SerializableTokenCache()
    cache.add(cache_event(token_response(access_token="OLD")), now=NOW)
    other = SerializableTokenCache()
    other.add(cache_event(token_response(access_token="NEW")), now=NOW)
    cache._cache = json.loads(other.serialize())
    found = cache.find_access_token(
        client_id="CID", environments=ENVS, realm="TENANT", home_account_id=None, scopes=[], now=NOW
    )
    assert found["secret"] == "NEW"


GOOD_ACCOUNT = {
    "home_account_id": "UID.UTID",
    "environment": ENV,
    "realm": "TENANT",
    "local_account_id": "OID",
    "username": "Ann@Example.com",
    "authority_type": "MSSTS",
}


@pytest.mark.parametrize(
    "damaged",
    [
        {"home_account_id": None},
        {"home_account_id": ""},
        {"home_account_id": 7},
        {"environment": ["x"]},
        {"environment": ""},
        {"realm": 3},
        {"username": ["ann@example.com"]},
        {"username": None},
        {"local_account_id": {}},
        {"home_account_id": "OTHER.UTID", "username": "ANN@example.COM"},
        {"realm": "OTHER"},  # The same account in another realm: the last one stored wins
    ],
)
def test_a_few_accounts_just_loaded_are_listed_as_the_indexes_list_them(damaged, monkeypatch):
    from msal import token_cache as token_cache_module

    state = json.dumps({"Account": {"good": GOOD_ACCOUNT, "other": dict(GOOD_ACCOUNT, **damaged)}})
    answers = []
    for limit in (0, 4):
        monkeypatch.setattr(token_cache_module, "SCAN_LIMIT", limit)
        cache = SerializableTokenCache()
        cache.deserialize(state)
        answers.append(
            [
                cache.find_accounts(environments=envs, username=username)
                for envs in ((ENV,), [ENV], ("elsewhere",))
                for username in (None, "ann@example.com", "nobody")
            ]
        )
        assert (TokenCache.CredentialType.ACCOUNT in cache._index.stale) == (limit == 4)
    assert answers[0] == answers[1]
