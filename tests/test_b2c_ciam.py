"""Azure AD B2C and CIAM authorities end to end: this package against the emulator's B2C
tenant (user flows B2C_1_signupsignin and B2C_1_ropc) and CIAM tenant, reached under their
real host names through the emulator's HTTP client."""

import os

import pytest

import msal
import msal_emulator

from b2c_ciam_probe import API_READ, DANA, ERIN, facts
from support import original
from support.wire import token_posts, query_of

B2C_HOST = "contosob2c.b2clogin.com"
CIAM_HOST = "contosociam.ciamlogin.com"
ORIGINAL = original.PYTHON


def app_for(emu, name, authority):
    """An application of the emulator's B2C/CIAM directory, with the default authority checks."""
    kwargs = dict(authority=authority, http_client=emu.http_client())
    if emu.app(name)["kind"] == "public":
        return msal.PublicClientApplication(emu.app(name)["client_id"], **kwargs)
    return msal.ConfidentialClientApplication(
        emu.app(name)["client_id"], client_credential=emu.client_credential(name), **kwargs
    )


def auth_code_sign_in(emu, app, name, scopes, user):
    flow = app.initiate_auth_code_flow(scopes, redirect_uri=emu.app(name)["redirect_uris"][0])
    redirect = emu.sign_in(flow["auth_uri"], *user)
    return flow, app.acquire_token_by_auth_code_flow(flow, query_of(redirect))


def assert_no_instance_or_realm_discovery(emu):
    paths = [r["path"] for r in emu.requests]
    assert not [p for p in paths if "/discovery/instance" in p], paths
    assert all(r["host"] in (B2C_HOST, CIAM_HOST) for r in emu.requests), emu.requests


def test_b2c_auth_code_flow_caches_the_user_flow_account(emu):
    dana = emu.user("dana")
    app = app_for(emu, "b2c-web-app", emu.b2c_authority())
    flow, result = auth_code_sign_in(emu, app, "b2c-web-app", [API_READ], DANA)
    assert flow["auth_uri"].startswith(
        "https://%s/contosob2c.onmicrosoft.com/b2c_1_signupsignin/oauth2/v2.0/authorize?" % B2C_HOST
    )
    assert "access_token" in result, result
    assert result["id_token_claims"]["tfp"] == "B2C_1_signupsignin"
    home = "%s-b2c_1_signupsignin.%s" % (dana["oid"], dana["tenant"])
    assert app.get_accounts() == [
        {
            "home_account_id": home,
            "environment": B2C_HOST,
            "realm": "contosob2c.onmicrosoft.com",
            "local_account_id": dana["oid"],
            "username": "",
            "authority_type": "MSSTS",
        }
    ]
    cached = app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    assert [(t["home_account_id"], t["environment"], t["realm"]) for t in cached] == [
        (home, B2C_HOST, "contosob2c.onmicrosoft.com")
    ]
    assert_no_instance_or_realm_discovery(emu)


def test_b2c_silent_from_cache_then_through_the_refresh_token(emu):
    app = app_for(emu, "b2c-web-app", emu.b2c_authority())
    _, first = auth_code_sign_in(emu, app, "b2c-web-app", [API_READ], DANA)
    account = app.get_accounts()[0]
    cached = app.acquire_token_silent([API_READ], account)
    assert cached["access_token"] == first["access_token"]
    assert cached["token_source"] == "cache"
    refreshed = app.acquire_token_silent([API_READ], account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider"
    assert refreshed["id_token_claims"]["tfp"] == "B2C_1_signupsignin"
    [post] = token_posts(emu, "refresh_token")
    assert post["path"] == "/contosob2c.onmicrosoft.com/b2c_1_signupsignin/oauth2/v2.0/token"
    assert app.get_accounts() == [account]
    assert_no_instance_or_realm_discovery(emu)


def test_b2c_ropc_user_flow(emu):
    dana = emu.user("dana")
    app = app_for(emu, "b2c-public", emu.b2c_authority("B2C_1_ropc"))
    result = app.acquire_token_by_username_password(DANA[0], DANA[1], [API_READ])
    assert result["id_token_claims"]["tfp"] == "B2C_1_ropc", result
    [account] = app.get_accounts()
    assert account["home_account_id"] == "%s-b2c_1_ropc.%s" % (dana["oid"], dana["tenant"])
    assert account["username"] == DANA[0]  # B2C sends no preferred_username: the one typed
    wrong = app.acquire_token_by_username_password(DANA[0], "wrong", [API_READ])
    assert wrong["error"] == "invalid_grant"
    assert wrong["error_description"].startswith("AADB2C90225: ")
    assert_no_instance_or_realm_discovery(emu)


def test_b2c_ropc_is_refused_by_a_sign_in_user_flow(emu):
    app = app_for(emu, "b2c-public", emu.b2c_authority())
    result = app.acquire_token_by_username_password(DANA[0], DANA[1], [API_READ])
    assert result["error"] == "unsupported_grant_type"
    assert result["error_description"].startswith("AADB2C90086: ")


@pytest.mark.parametrize("with_tenant", [True, False], ids=["tenant-in-path", "host-only"])
def test_ciam_auth_code_flow_and_silent(emu, with_tenant):
    erin = emu.user("erin")
    app = app_for(emu, "ciam-public", emu.ciam_authority(with_tenant))
    _, result = auth_code_sign_in(emu, app, "ciam-public", ["User.Read"], ERIN)
    assert "access_token" in result, result
    [account] = app.get_accounts()
    assert account == {
        "home_account_id": "%s.%s" % (erin["oid"], erin["tenant"]),
        "environment": CIAM_HOST,
        "realm": erin["tenant"],
        "local_account_id": erin["oid"],
        "username": ERIN[0],
        "authority_type": "MSSTS",
    }
    refreshed = app.acquire_token_silent(["User.Read"], account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider", refreshed
    discovery = [r["path"] for r in emu.requests if "openid-configuration" in r["path"]]
    assert discovery == ["/contosociam.onmicrosoft.com/v2.0/.well-known/openid-configuration"]
    assert_no_instance_or_realm_discovery(emu)


@pytest.mark.skipif(not ORIGINAL, reason="MSAL_ORIGINAL_PYTHON is not set")
def test_same_accounts_cache_keys_and_requests_as_the_original(emu, tmp_path):
    ours = facts(msal, emu)
    script = os.path.join(os.path.dirname(__file__), "b2c_ciam_probe.py")
    # The probe reports with the emulator's package, which the original's interpreter lacks.
    theirs = original.run_json(ORIGINAL, [script], packages=[msal_emulator])
    # Each application brings its own HTTP client, so each discovers its authority, as the original does
    assert ours == theirs
    assert theirs["b2c_accounts"][0]["realm"] == "contosob2c.onmicrosoft.com"
    assert theirs["b2c_accounts"][0]["username"] == ""


def _assert_signed_in_without_access_token(app, result, user_flow):
    """A B2C sign-in that asked for no API: an ID token and a refresh token, cached as such."""
    assert "error" not in result and "access_token" not in result, result
    assert result["id_token_claims"]["tfp"] == user_flow and result["refresh_token"]
    [account] = app.get_accounts()
    assert account["home_account_id"].split(".")[0].endswith("-" + user_flow.lower())
    CT = msal.TokenCache.CredentialType
    assert [len(app.token_cache.find(kind)) for kind in (CT.ID_TOKEN, CT.REFRESH_TOKEN, CT.ACCESS_TOKEN)] == [
        1,
        1,
        0,
    ]
    return account


def test_b2c_sign_in_without_an_api_scope_as_the_flask_sample_does(emu):
    """The Azure web app sample's B2C configuration has SCOPE = []: the user only signs in."""
    app = app_for(emu, "b2c-web-app", emu.b2c_authority())
    flow, result = auth_code_sign_in(emu, app, "b2c-web-app", [], DANA)
    [post] = token_posts(emu, "authorization_code")
    assert post["form"]["scope"] == "offline_access openid profile"
    account = _assert_signed_in_without_access_token(app, result, "B2C_1_signupsignin")
    later = app.acquire_token_silent([API_READ], account)  # the refresh token works later on
    assert later["token_source"] == "identity_provider" and later["access_token"], later


def test_b2c_ropc_without_an_api_scope_signs_in(emu):
    app = app_for(emu, "b2c-public", emu.b2c_authority("B2C_1_ropc"))
    result = app.acquire_token_by_username_password(DANA[0], DANA[1], [])
    _assert_signed_in_without_access_token(app, result, "B2C_1_ropc")
