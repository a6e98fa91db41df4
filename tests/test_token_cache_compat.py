"""Interchange with the original MSAL for Python through the serialized cache.

Runs only when the environment variable MSAL_ORIGINAL_PYTHON names an
interpreter on which the original ``msal`` package is importable.  The
original is driven as a black box through a small script in a subprocess.
"""

import json
import textwrap
import time

import pytest

from msal.token_cache import SerializableTokenCache

from support import original
from support.tokens import client_info, unsigned_jwt

ORIGINAL = original.PYTHON
pytestmark = pytest.mark.skipif(
    not ORIGINAL, reason="set MSAL_ORIGINAL_PYTHON to an interpreter with the original msal installed"
)

ENV = "login.microsoftonline.com"
TOKEN_ENDPOINT = "https://login.microsoftonline.com/TENANT/oauth2/v2.0/token"

# Runs inside the original's interpreter.  Reads a JSON request on stdin and
# prints a JSON answer.
SCRIPT = textwrap.dedent("""
    import json, sys
    import msal
    assert "site-packages" in msal.__file__, msal.__file__  # The original, not this package

    req = json.load(sys.stdin)
    cache = msal.SerializableTokenCache()

    class Resp:
        def __init__(self, body):
            self.status_code, self.text, self.headers = 200, json.dumps(body), {}
        def raise_for_status(self):
            pass

    class Http:
        def get(self, url, **kw):
            base = "https://login.microsoftonline.com/TENANT"
            return Resp({"authorization_endpoint": base + "/oauth2/v2.0/authorize",
                         "token_endpoint": base + "/oauth2/v2.0/token",
                         "issuer": base + "/v2.0"})
        def post(self, url, **kw):
            raise AssertionError("no token request expected: " + url)

    if req["mode"] == "write":
        for event in req["events"]:
            cache.add(event, now=req["now"])
        sys.stdout.write(cache.serialize())
    else:
        cache.deserialize(req["state"])
        app = msal.PublicClientApplication(
            "CID", authority="https://login.microsoftonline.com/TENANT",
            token_cache=cache, http_client=Http(), instance_discovery=False)
        accounts = app.get_accounts()
        silent = {}
        for account in accounts:
            result = app.acquire_token_silent(["User.Read"], account)
            silent[account["home_account_id"]] = result and result.get("access_token")
        print(json.dumps({
            "accounts": accounts,
            "silent": silent,
            "at": cache.find("AccessToken", target=["User.Read"],
                             query={"client_id": "CID", "home_account_id": "UID.UTID"}),
            "rt": cache.find("RefreshToken", query={"home_account_id": "UID.UTID"}),
            "foci_rt": cache.find("RefreshToken", query={"family_id": "1"}),
            "app_at": cache.find("AccessToken", query={"home_account_id": None}),
        }))
""")


def run_original(request):
    proc = original.run(ORIGINAL, ["-c", SCRIPT], input=json.dumps(request))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def events(now):
    # The original checks the id token's expiry against the real clock.
    def idt(**claims):
        base = {
            "sub": "SUB",
            "oid": "OID",
            "aud": "CID",
            "iss": "https://login.microsoftonline.com/TID/v2.0",
            "iat": now,
            "exp": now + 3600,
            "tid": "TID",
        }
        base.update(claims)
        return unsigned_jwt(base)

    def ev(response, **kw):
        e = {
            "client_id": "CID",
            "scope": ["User.Read", "Mail.Read"],
            "token_endpoint": TOKEN_ENDPOINT,
            "grant_type": "authorization_code",
            "response": response,
            "data": {},
            "params": {},
        }
        e.update(kw)
        return e

    return [
        ev(
            {"access_token": "APP_AT", "token_type": "Bearer", "expires_in": 3600},
            scope=["https://graph.microsoft.com/.default"],
            grant_type="client_credentials",
        ),
        ev(
            {
                "access_token": "OTHER_AT",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "FAMILY_RT",
                "foci": "1",
                "client_info": client_info("UID", "UTID"),
                "id_token": idt(aud="CID2", preferred_username="john@contoso.com"),
            },
            client_id="CID2",
        ),
        ev(
            {
                "access_token": "USER_AT",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_in": 1800,
                "ext_expires_in": 7200,
                "refresh_token": "USER_RT",
                "foci": "1",
                "client_info": client_info("UID", "UTID"),
                "id_token": idt(preferred_username="john@contoso.com"),
            }
        ),
        ev(
            {
                "access_token": "TWO_AT",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "TWO_RT",
                "client_info": client_info("U2", "UTID"),
                "id_token": idt(sub="S2", oid="O2", preferred_username="Two@Contoso.com"),
            }
        ),
    ]


def test_original_writes_we_serve():
    now = int(time.time())
    state = run_original({"mode": "write", "events": events(now), "now": now})
    cache = SerializableTokenCache()
    cache.deserialize(state)

    user_at = cache.find_access_token(
        client_id="CID",
        environments=[ENV],
        realm="TENANT",
        home_account_id="UID.UTID",
        scopes=["user.read"],
        now=now,
    )
    assert user_at["secret"] == "USER_AT"
    assert user_at["refresh_on"] == str(now + 1800)
    assert user_at["extended_expires_on"] == str(now + 7200)
    app_at = cache.find_access_token(
        client_id="CID",
        environments=[ENV],
        realm="TENANT",
        home_account_id=None,
        scopes=["https://graph.microsoft.com/.default"],
        now=now,
    )
    assert app_at["secret"] == "APP_AT"
    rts = cache.find_refresh_tokens(
        home_account_id="UID.UTID", environments=[ENV], client_id="CID", family_id="1"
    )
    assert [rt["secret"] for rt in rts] == ["USER_RT", "FAMILY_RT"]
    accounts = cache.find_accounts(environments=[ENV])
    assert sorted((a["home_account_id"], a["username"], a["local_account_id"]) for a in accounts) == [
        ("U2.UTID", "Two@Contoso.com", "O2"),
        ("UID.UTID", "john@contoso.com", "OID"),
    ]
    assert cache.find_accounts(environments=[ENV], username="two@contoso.com")[0]["realm"] == "TENANT"
    assert cache.find_id_token(home_account_id="U2.UTID", environments=[ENV], client_id="CID")
    assert cache.find_app_metadata(client_id="CID2", environments=[ENV])["family_id"] == "1"

    # Same events through our add(): the same document, sections and entries in the same order
    # (ours is compact JSON; the original indents, which is not part of the schema).
    ours = SerializableTokenCache()
    for event in events(now):
        ours.add(event, now=now)
    mine, theirs = json.loads(ours.serialize()), json.loads(state)
    assert mine == theirs
    assert list(mine) == list(theirs)
    assert all(list(mine[section]) == list(theirs[section]) for section in theirs)


def test_we_write_original_serves():
    now = int(time.time())
    cache = SerializableTokenCache()
    for event in events(now):
        cache.add(event, now=now)
    answer = json.loads(run_original({"mode": "read", "state": cache.serialize()}))

    assert sorted((a["home_account_id"], a["username"]) for a in answer["accounts"]) == [
        ("U2.UTID", "Two@Contoso.com"),
        ("UID.UTID", "john@contoso.com"),
    ]
    assert answer["silent"] == {"UID.UTID": "USER_AT", "U2.UTID": "TWO_AT"}
    assert [e["secret"] for e in answer["at"]] == ["USER_AT"]
    assert sorted(e["secret"] for e in answer["rt"]) == ["FAMILY_RT", "USER_RT"]
    assert sorted(e["secret"] for e in answer["foci_rt"]) == ["FAMILY_RT", "USER_RT"]
    assert [e["secret"] for e in answer["app_at"]] == ["APP_AT"]
