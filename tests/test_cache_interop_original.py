"""A token cache written by the original msal serves this package's silent calls, and vice versa.

Both sides get real tokens from the emulator over HTTPS; the original runs as a black box in
its own interpreter (``MSAL_ORIGINAL_PYTHON``, set up by ``./dev test``).
"""

import json
import textwrap

import pytest

import msal
from support import original
from support.apps import GRAPH_DEFAULT
from support.wire import token_posts

ORIGINAL = original.PYTHON
pytestmark = pytest.mark.skipif(
    not ORIGINAL, reason="MSAL_ORIGINAL_PYTHON is not set (./dev test sets it up)"
)

# Runs in the original's interpreter: {"mode": "write"|"read", ...} on stdin, JSON on stdout.
ORIGINAL_SCRIPT = textwrap.dedent("""
    import json, sys
    import msal
    assert "site-packages" in msal.__file__, msal.__file__  # The original, not this package
    req = json.load(sys.stdin)
    common = dict(authority=req["authority"], verify=req["ca"], instance_discovery=False)
    cache = msal.SerializableTokenCache()
    if req.get("state"):
        cache.deserialize(req["state"])
    web = msal.ConfidentialClientApplication(
        req["web_id"], client_credential=req["web_secret"], token_cache=cache, **common)
    daemon = msal.ConfidentialClientApplication(
        req["daemon_id"], client_credential=req["daemon_secret"], token_cache=cache, **common)
    out = {}
    if req["mode"] == "refreshes":
        web.acquire_token_by_refresh_token(req["refresh_token"], ["User.Read"])
        [account] = web.get_accounts()
        for scopes in req["scopes"]:
            out.setdefault("silent", []).append(
                web.acquire_token_silent(scopes, account, force_refresh=True))
        out["state"] = cache.serialize()
    elif req["mode"] == "write":
        out["user"] = web.acquire_token_by_refresh_token(req["refresh_token"], ["User.Read"])
        out["app"] = daemon.acquire_token_for_client([req["graph"]])
        out["state"] = cache.serialize()
    else:
        accounts = web.get_accounts()
        out["accounts"] = accounts
        out["silent"] = web.acquire_token_silent(["User.Read"], accounts[0]) if accounts else None
    print(json.dumps(out))
""")


def run_original(emu, **request):
    request.update(
        authority=emu.authority(),
        ca=emu.ca_path,
        graph=GRAPH_DEFAULT,
        web_id=emu.app("web-app")["client_id"],
        web_secret=emu.client_credential("web-app"),
        daemon_id=emu.app("confidential-secret")["client_id"],
        daemon_secret=emu.client_credential("confidential-secret"),
    )
    return original.run_json(ORIGINAL, ["-c", ORIGINAL_SCRIPT], request)


def test_a_cache_written_by_the_original_serves_silent_hits_here(emu, signed_in, make_app):
    _, first = signed_in()
    written = run_original(emu, mode="write", refresh_token=first["refresh_token"])
    assert "access_token" in written["user"] and "access_token" in written["app"]

    cache = msal.SerializableTokenCache()
    cache.deserialize(written["state"])
    emu.clear_requests()
    web = make_app("web-app", token_cache=cache)
    [account] = web.get_accounts()
    assert account["username"] == "alice@" + emu.tenant_domain
    hit = web.acquire_token_silent(["User.Read"], account)
    assert hit["token_source"] == "cache"
    assert hit["access_token"] == written["user"]["access_token"]
    daemon = make_app("confidential-secret", token_cache=cache)
    app_hit = daemon.acquire_token_for_client([GRAPH_DEFAULT])
    assert app_hit["access_token"] == written["app"]["access_token"]
    assert token_posts(emu) == [], "cache hits must not reach the network"

    refreshed = web.acquire_token_silent(["User.Read"], account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider"
    assert token_posts(emu, "refresh_token")[0]["form"]["refresh_token"] == written["user"]["refresh_token"]


def test_a_cache_written_here_serves_the_originals_silent_hits(emu, make_app):
    cache = msal.SerializableTokenCache()
    web = make_app("web-app", token_cache=cache)
    user = emu.user("alice@" + emu.tenant_domain)
    flow = web.initiate_auth_code_flow(["User.Read"], redirect_uri="https://localhost/callback")
    from support.wire import query_of

    ours = web.acquire_token_by_auth_code_flow(
        flow, query_of(emu.sign_in(flow["auth_uri"], user["username"], user["password"]))
    )
    assert "access_token" in ours
    emu.clear_requests()

    read = run_original(emu, mode="read", state=cache.serialize())
    assert [a["username"] for a in read["accounts"]] == ["alice@" + emu.tenant_domain]
    assert read["accounts"][0]["home_account_id"] == web.get_accounts()[0]["home_account_id"]
    assert read["silent"]["access_token"] == ours["access_token"]
    assert token_posts(emu) == [], "the original must have served it from the cache"


REFRESH_SCOPES = [["Mail.Read"], ["Calendars.Read"], ["User.Read", "Mail.Read"]]


def refresh_tokens_by_key(state):
    """The RefreshToken section without what differs from run to run."""
    return {
        key: {k: v for k, v in rt.items() if k not in ("secret", "last_modification_time")}
        for key, rt in json.loads(state)["RefreshToken"].items()
    }


def test_refreshes_with_other_scopes_leave_one_refresh_token_as_in_the_original(emu, signed_in, make_app):
    _, for_original = signed_in()
    theirs = run_original(
        emu, mode="refreshes", refresh_token=for_original["refresh_token"], scopes=REFRESH_SCOPES
    )
    assert all("access_token" in r for r in theirs["silent"]), theirs["silent"]

    _, for_us = signed_in()
    cache = msal.SerializableTokenCache()
    web = make_app("web-app", token_cache=cache)
    web.acquire_token_by_refresh_token(for_us["refresh_token"], ["User.Read"])
    [account] = web.get_accounts()
    for scopes in REFRESH_SCOPES:
        latest = web.acquire_token_silent(scopes, account, force_refresh=True)
        assert "access_token" in latest

    ours = refresh_tokens_by_key(cache.serialize())
    assert len(ours) == 1
    assert ours == refresh_tokens_by_key(theirs["state"])  # Same key, same fields
    [rt] = json.loads(cache.serialize())["RefreshToken"].values()
    assert rt["secret"] == latest["refresh_token"]  # The newest, in place of the first
