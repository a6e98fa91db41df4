"""Authorization code with PKCE against node-oidc-provider, then silent calls from the cache."""

import pytest

from support.wire import query_of

SCOPES = ["api://demo/read"]


def redirect_uri_of(oidc_provider, name):
    if name == "native":
        return "http://localhost:51234"  # Any loopback port (RFC 8252 §7.3)
    return oidc_provider.clients[name]["redirect_uris"][0]


@pytest.fixture(params=["native", "web"])
def signed_in(request, oidc_provider, op_app):
    """An application of the given kind with alice signed in; returns (app, result)."""
    app = op_app(request.param)
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri_of(oidc_provider, request.param))
    redirect = oidc_provider.sign_in(flow["auth_uri"])
    assert redirect.split("?")[0].rstrip("/") == flow["redirect_uri"]
    assert "code" in query_of(redirect), redirect
    return app, app.acquire_token_by_auth_code_flow(flow, query_of(redirect))


def test_auth_code_flow_signs_alice_in(oidc_provider, signed_in):
    app, result = signed_in
    assert "access_token" in result and "refresh_token" in result, result
    assert result["token_source"] == "identity_provider"
    user = oidc_provider.user
    assert result["id_token_claims"]["preferred_username"] == user["username"]
    assert result["id_token_claims"]["sub"] == user["uid"]
    [account] = app.get_accounts()
    assert account["username"] == user["username"]
    assert account["home_account_id"] == "{}.{}".format(user["uid"], "9188040d-6c67-4c5b-b112-36a304b66dad")
    assert account["environment"] == "localhost" and account["realm"] == "tenant1"
    assert app.get_accounts(username=user["username"].upper()) == [account]


def test_cache_holds_the_granted_scope(signed_in):
    """RFC 6749 §5.1: the response's scope is what was granted (here without the reserved
    scopes); the cache entries are keyed on it, as the original msal does."""
    app, result = signed_in
    assert result["scope"] == "api://demo/read"
    cache = app.token_cache
    for credential_type in (cache.CredentialType.ACCESS_TOKEN, cache.CredentialType.REFRESH_TOKEN):
        assert [entry["target"] for entry in cache.find(credential_type)] == [result["scope"]]


def test_silent_is_served_from_the_cache(signed_in):
    app, result = signed_in
    [account] = app.get_accounts()
    silent = app.acquire_token_silent(SCOPES, account)
    assert silent["token_source"] == "cache"
    assert silent["access_token"] == result["access_token"]


def test_silent_with_force_refresh_redeems_the_refresh_token(signed_in):
    app, result = signed_in
    [account] = app.get_accounts()
    refreshed = app.acquire_token_silent(SCOPES, account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider", refreshed
    assert refreshed["access_token"] != result["access_token"]
    # Public clients get a rotated refresh token; the cache keeps exactly the latest one
    [rt] = app.token_cache.find(app.token_cache.CredentialType.REFRESH_TOKEN)
    assert rt["secret"] == refreshed["refresh_token"]
    again = app.acquire_token_silent(SCOPES, account)
    assert again["token_source"] == "cache" and again["access_token"] == refreshed["access_token"]
    assert app.get_accounts() == [account]


def test_state_mismatch_is_refused(oidc_provider, op_app):
    app = op_app("native")
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri="http://localhost:51234")
    response = query_of(oidc_provider.sign_in(flow["auth_uri"]))
    response["state"] = "forged"
    with pytest.raises(ValueError):
        app.acquire_token_by_auth_code_flow(flow, response)
    assert app.get_accounts() == []


def test_wrong_password_never_reaches_the_app(oidc_provider, op_app):
    app = op_app("native")
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri="http://localhost:51234")
    user = oidc_provider.scripted_user()
    user.password = "wrong"
    with pytest.raises(Exception, match="401"):
        user.sign_in(flow["auth_uri"])
