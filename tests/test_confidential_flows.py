"""Confidential-client flows end to end over HTTPS against the local identity emulator."""

import json
import warnings

import jwt
import pytest

import msal
from support.apps import GRAPH_DEFAULT
from support.wire import query_of, token_posts


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


class TestClientCredentials:
    def test_secret_goes_to_the_network_once_then_the_cache_serves(self, emu, make_app):
        cache = msal.SerializableTokenCache()
        app = make_app("confidential-secret", token_cache=cache)
        first = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert first["token_source"] == "identity_provider"
        assert claims_of(first["access_token"])["aud"] == "00000003-0000-0000-c000-000000000000"
        posts = token_posts(emu, "client_credentials")
        assert len(posts) == 1
        form, headers = posts[0]["form"], posts[0]["headers"]
        assert form["client_id"] == emu.app("confidential-secret")["client_id"]
        assert form["client_secret"] == emu.client_credential("confidential-secret")
        assert form["scope"] == GRAPH_DEFAULT and form["client_info"] == "1"
        assert headers["x-client-sku"] == "MSAL.Python" and headers["x-client-ver"] == "1.39.0"
        assert headers["x-client-current-telemetry"] == "4|730,0|"
        assert "client-request-id" in headers

        second = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert second["token_source"] == "cache"
        assert second["access_token"] == first["access_token"]
        assert len(token_posts(emu)) == 1, "a cache hit must not reach the network"

        state = json.loads(cache.serialize())
        [entry] = state["AccessToken"].values()
        assert entry["realm"] == emu.tenant_id and entry["environment"] == "localhost"
        assert entry["target"] == GRAPH_DEFAULT
        assert not state.get("RefreshToken") and not state.get("Account")

    def test_claims_challenge_bypasses_the_cache(self, emu, make_app):
        app = make_app("confidential-secret", client_capabilities=["CP1"])
        app.acquire_token_for_client([GRAPH_DEFAULT])
        app.acquire_token_for_client(
            [GRAPH_DEFAULT], claims_challenge='{"access_token": {"nbf": {"essential": true}}}'
        )
        posts = token_posts(emu, "client_credentials")
        assert len(posts) == 2
        assert json.loads(posts[1]["form"]["claims"]) == {
            "access_token": {"xms_cc": {"values": ["CP1"]}, "nbf": {"essential": True}}
        }

    def test_wrong_secret_is_an_error_dict_and_nothing_is_cached(self, emu, make_app):
        cache = msal.TokenCache()
        app = make_app("confidential-secret", client_credential="wrong", token_cache=cache)
        result = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert result["error"] == "invalid_client"
        assert 7000215 in result["error_codes"] and "AADSTS7000215" in result["error_description"]
        assert result["correlation_id"] == token_posts(emu)[0]["headers"]["client-request-id"]
        assert cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN) == []

    def test_certificate(self, emu, make_app):
        credential = dict(emu.client_credential("confidential-cert"))
        credential.pop("public_certificate")
        result = make_app("confidential-cert", client_credential=credential).acquire_token_for_client(
            [GRAPH_DEFAULT]
        )
        assert "access_token" in result, result
        form = token_posts(emu)[0]["form"]
        assert "client_secret" not in form
        assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        header = jwt.get_unverified_header(form["client_assertion"])
        assert header["alg"] == "RS256" and "x5t" in header and "x5c" not in header

    def test_certificate_with_public_certificate_and_client_claims(self, emu, make_app):
        credential = dict(emu.client_credential("confidential-cert"))
        assert credential.get("public_certificate")
        app = make_app(
            "confidential-cert", client_credential=credential, client_claims={"client_ip": "10.1.2.3"}
        )
        assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
        assertion = token_posts(emu)[0]["form"]["client_assertion"]
        assert jwt.get_unverified_header(assertion)["x5c"]
        claims = claims_of(assertion)
        assert claims["client_ip"] == "10.1.2.3"
        assert claims["aud"].endswith("/oauth2/v2.0/token") and claims["iss"] == claims["sub"]

    def test_certificate_with_the_wrong_thumbprint_is_refused(self, emu, make_app):
        credential = dict(emu.client_credential("confidential-cert"), thumbprint="AB" * 20)
        credential.pop("public_certificate")
        result = make_app("confidential-cert", client_credential=credential).acquire_token_for_client(
            [GRAPH_DEFAULT]
        )
        assert result["error"] == "invalid_client"

    def test_pre_signed_client_assertion(self, emu, make_app):
        signer = make_app("confidential-cert")  # Only used to sign an assertion ourselves
        token_endpoint = "{}/{}/oauth2/v2.0/token".format(emu.base_url, emu.tenant_id)
        assertion = signer._ctx.client_auth.sign(token_endpoint)
        app = make_app("confidential-cert", client_credential={"client_assertion": assertion})
        assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
        assert token_posts(emu)[0]["form"]["client_assertion"] == assertion
        # The identity provider refuses a replayed assertion
        again = make_app("confidential-cert", client_credential={"client_assertion": assertion})
        assert again.acquire_token_for_client([GRAPH_DEFAULT])["error"] == "invalid_client"


class TestAuthCodeFlow:
    def test_sign_in_caches_tokens_and_account(self, emu, signed_in):
        app, result = signed_in()
        assert result["token_source"] == "identity_provider"
        assert result["id_token_claims"]["preferred_username"] == "alice@" + emu.tenant_domain
        assert "refresh_token" in result
        posted = token_posts(emu, "authorization_code")[0]["form"]
        assert set(posted["scope"].split()) == {"User.Read", "openid", "profile", "offline_access"}
        assert posted["code_verifier"] and posted["client_secret"]
        [account] = app.get_accounts()
        assert account["username"] == "alice@" + emu.tenant_domain
        user = emu.user("alice@" + emu.tenant_domain)
        assert account["home_account_id"] == "{}.{}".format(user["oid"], emu.tenant_id)

    def test_auth_uri_carries_pkce_state_and_hashed_nonce(self, emu, make_app):
        app = make_app("web-app")
        flow = app.initiate_auth_code_flow(
            ["User.Read"],
            redirect_uri="https://localhost/callback",
            login_hint="alice@contoso.example",
            max_age=300,
        )
        params = query_of(flow["auth_uri"])
        assert params["code_challenge_method"] == "S256" and params["state"] == flow["state"]
        import hashlib

        assert params["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()
        assert params["login_hint"] == "alice@contoso.example" and params["max_age"] == "300"
        json.dumps(flow)  # A web app keeps it in its session

    def test_state_mismatch_is_a_value_error_and_nothing_is_sent(self, emu, make_app):
        app = make_app("web-app")
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri="https://localhost/callback")
        user = emu.user("alice@" + emu.tenant_domain)
        response = query_of(emu.sign_in(flow["auth_uri"], user["username"], user["password"]))
        with pytest.raises(ValueError, match="state"):
            app.acquire_token_by_auth_code_flow(flow, dict(response, state="forged"))
        with pytest.raises(ValueError):
            app.acquire_token_by_auth_code_flow({}, response)
        assert token_posts(emu) == []

    def test_a_flow_works_once(self, emu, make_app):
        app = make_app("web-app")
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri="https://localhost/callback")
        user = emu.user("alice@" + emu.tenant_domain)
        response = query_of(emu.sign_in(flow["auth_uri"], user["username"], user["password"]))
        assert "access_token" in app.acquire_token_by_auth_code_flow(flow, response)
        with pytest.raises(ValueError, match="already"):
            app.acquire_token_by_auth_code_flow(flow, response)

    def test_error_response_is_returned_as_a_dict(self, make_app):
        app = make_app("web-app")
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri="https://localhost/callback")
        result = app.acquire_token_by_auth_code_flow(
            flow, {"state": flow["state"], "error": "access_denied", "error_description": "The user declined"}
        )
        assert result == {"error": "access_denied", "error_description": "The user declined"}

    def test_get_authorization_request_url_and_code_redemption_with_nonce(self, emu, make_app):
        app = make_app("web-app")
        url = app.get_authorization_request_url(
            ["User.Read"], redirect_uri="https://localhost/callback", state="s1", nonce="n1"
        )
        assert query_of(url)["nonce"] == "n1"
        user = emu.user("alice@" + emu.tenant_domain)
        code = query_of(emu.sign_in(url, user["username"], user["password"]))["code"]
        result = app.acquire_token_by_authorization_code(
            code, ["User.Read"], redirect_uri="https://localhost/callback", nonce="n1"
        )
        assert result["id_token_claims"]["nonce"] == "n1"

    def test_wrong_nonce_raises_and_caches_nothing(self, emu, make_app):
        cache = msal.TokenCache()
        app = make_app("web-app", token_cache=cache)
        url = app.get_authorization_request_url(
            ["User.Read"], redirect_uri="https://localhost/callback", nonce="n1"
        )
        user = emu.user("alice@" + emu.tenant_domain)
        code = query_of(emu.sign_in(url, user["username"], user["password"]))["code"]
        with pytest.raises(msal.exceptions.IdTokenError, match="nonce"):
            app.acquire_token_by_authorization_code(
                code, ["User.Read"], redirect_uri="https://localhost/callback", nonce="other"
            )
        assert app.get_accounts() == []
        assert cache.find(msal.TokenCache.CredentialType.REFRESH_TOKEN) == []


class TestSilent:
    def test_cache_hit_then_force_refresh_uses_the_refresh_token(self, emu, signed_in):
        app, first = signed_in()
        account = app.get_accounts()[0]
        hit = app.acquire_token_silent(["User.Read"], account)
        assert hit["token_source"] == "cache" and hit["access_token"] == first["access_token"]
        assert token_posts(emu, "refresh_token") == []

        refreshed = app.acquire_token_silent(["User.Read"], account, force_refresh=True)
        assert refreshed["token_source"] == "identity_provider"
        [post] = token_posts(emu, "refresh_token")
        assert post["form"]["refresh_token"] == first["refresh_token"]
        assert post["headers"]["x-anchormailbox"].startswith("Oid:")
        assert post["headers"]["x-client-current-telemetry"] == "4|84,1|"
        again = app.acquire_token_silent(["User.Read"], account)
        assert again["access_token"] == refreshed["access_token"]

    def test_another_resource_is_refreshed_silently(self, emu, signed_in):
        app, _ = signed_in()
        scope = "{}/access_as_user".format(emu.app("web-api")["app_id_uri"])
        result = app.acquire_token_silent([scope], app.get_accounts()[0])
        assert claims_of(result["access_token"])["aud"] in (
            emu.app("web-api")["client_id"],
            emu.app("web-api")["app_id_uri"],
        )
        assert len(token_posts(emu, "refresh_token")) == 1

    def test_refresh_failure_is_an_error_dict_or_none(self, emu, signed_in):
        app, _ = signed_in()
        account = app.get_accounts()[0]
        emu.revoke_refresh_tokens()
        result = app.acquire_token_silent_with_error(["User.Read"], account, force_refresh=True)
        assert result["error"] == "invalid_grant"
        assert app.acquire_token_silent(["User.Read"], account, force_refresh=True) is None

    def test_empty_cache_is_none(self, make_app):
        app = make_app("web-app")
        fake_account = {"home_account_id": "uid.utid", "environment": "localhost"}
        assert app.acquire_token_silent_with_error(["User.Read"], fake_account) is None
        assert app.acquire_token_silent_with_error([GRAPH_DEFAULT], None) is None

    def test_account_none_finds_this_clients_own_token(self, emu, make_app):
        app = make_app("confidential-secret")
        token = app.acquire_token_for_client([GRAPH_DEFAULT])["access_token"]
        assert app.acquire_token_silent([GRAPH_DEFAULT], None)["access_token"] == token

    def test_reserved_scope_and_string_scope_are_value_errors(self, signed_in):
        app, _ = signed_in()
        with pytest.raises(ValueError, match="reserved"):
            app.acquire_token_silent(["openid"], app.get_accounts()[0])
        with pytest.raises(ValueError, match="list"):
            app.acquire_token_silent("User.Read", app.get_accounts()[0])


class TestAccounts:
    def test_get_accounts_by_username_is_case_insensitive(self, emu, signed_in):
        app, _ = signed_in()
        assert len(app.get_accounts("ALICE@" + emu.tenant_domain.upper())) == 1
        assert app.get_accounts("nobody@" + emu.tenant_domain) == []

    def test_remove_account_forgets_its_tokens(self, emu, signed_in):
        app, _ = signed_in()
        account = app.get_accounts()[0]
        app.remove_account(account)
        assert app.get_accounts() == []
        assert app.acquire_token_silent_with_error(["User.Read"], account) is None
        cache = app.token_cache
        for kind in ("ACCESS_TOKEN", "REFRESH_TOKEN", "ID_TOKEN", "ACCOUNT"):
            assert cache.find(getattr(msal.TokenCache.CredentialType, kind)) == [], kind


class TestOtherGrants:
    def test_on_behalf_of(self, emu, signed_in, make_app):
        web_app, _ = signed_in()
        api_scope = "{}/access_as_user".format(emu.app("web-api")["app_id_uri"])
        incoming = web_app.acquire_token_silent([api_scope], web_app.get_accounts()[0])
        middle_tier = make_app("web-api")
        result = middle_tier.acquire_token_on_behalf_of(incoming["access_token"], ["User.Read"])
        assert "access_token" in result, result
        assert claims_of(result["access_token"])["oid"] == emu.user("alice@" + emu.tenant_domain)["oid"]
        form = token_posts(emu, "urn:ietf:params:oauth:grant-type:jwt-bearer")[0]["form"]
        assert form["requested_token_use"] == "on_behalf_of"
        assert form["assertion"] == incoming["access_token"]
        assert middle_tier.get_accounts()[0]["username"] == "alice@" + emu.tenant_domain

    def test_on_behalf_of_with_a_token_for_someone_else_fails(self, make_app):
        app = make_app("confidential-secret")
        app_token = app.acquire_token_for_client([GRAPH_DEFAULT])["access_token"]
        result = make_app("web-api").acquire_token_on_behalf_of(app_token, ["User.Read"])
        assert result["error"] == "invalid_grant"

    def test_refresh_token_migration(self, emu, signed_in, make_app):
        _, first = signed_in()
        fresh = make_app("web-app", token_cache=msal.TokenCache())
        result = fresh.acquire_token_by_refresh_token(first["refresh_token"], ["User.Read"])
        assert "access_token" in result, result
        assert (
            token_posts(emu, "refresh_token")[-1]["headers"]["x-client-current-telemetry"] == "4|85,1|"
        )  # a redeemed refresh token counts as a forced refresh
        [account] = fresh.get_accounts()
        assert fresh.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"


class TestBadInput:
    def test_constructor_checks(self, emu):
        with pytest.raises(ValueError, match="client_id"):
            msal.ConfidentialClientApplication("", client_credential="s")
        with pytest.raises(ValueError, match="client_credential"):
            msal.ConfidentialClientApplication("cid")
        with pytest.raises(ValueError, match="thumbprint"):
            msal.ConfidentialClientApplication("cid", client_credential={"private_key": "x"})
        with pytest.raises(ValueError, match="public client"):
            msal.PublicClientApplication("cid", client_credential="secret")
        with pytest.raises(ValueError, match="https"):
            msal.PublicClientApplication("cid", authority="http://localhost/tenant")

    def test_unknown_tenant_is_a_value_error(self, emu, make_app):
        app = make_app("confidential-secret", authority=emu.base_url + "/no-such-tenant.example")
        with pytest.raises(ValueError, match="no-such-tenant"):
            app.acquire_token_for_client([GRAPH_DEFAULT])


class TestScopeArguments:
    """An empty scope list names no resource; a cache lookup with it must not match any token."""

    def test_client_credentials_with_no_scope_is_refused_even_with_a_token_cached(self, emu, make_app):
        app = make_app("confidential-secret")
        assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
        emu.clear_requests()
        for scopes in ([], (), set()):
            with pytest.raises(ValueError, match="at least one scope"):
                app.acquire_token_for_client(scopes)
        assert token_posts(emu) == []

    def test_silent_with_no_scope_is_refused_even_with_tokens_cached(self, emu, signed_in):
        app, _ = signed_in()
        account = app.get_accounts()[0]
        for call in (app.acquire_token_silent, app.acquire_token_silent_with_error):
            for who in (account, None):
                with pytest.raises(ValueError, match="at least one scope"):
                    call([], who)

    def test_a_user_grant_with_no_scope_still_signs_in(self, emu, signed_in, make_app):
        _, first = signed_in()
        fresh = make_app("web-app", token_cache=msal.TokenCache())
        result = fresh.acquire_token_by_refresh_token(first["refresh_token"], [])
        assert "id_token_claims" in result and "error" not in result, result
        assert token_posts(emu, "refresh_token")[-1]["form"]["scope"] == "offline_access openid profile"

    def test_a_single_string_scope_for_client_credentials_works_with_a_warning(self, emu, make_app):
        app = make_app("confidential-secret")
        with pytest.warns(DeprecationWarning, match="list"):
            result = app.acquire_token_for_client(GRAPH_DEFAULT)
        assert result["token_source"] == "identity_provider", result
        assert token_posts(emu, "client_credentials")[0]["form"]["scope"] == GRAPH_DEFAULT
        with pytest.warns(DeprecationWarning):
            assert app.acquire_token_for_client(GRAPH_DEFAULT)["token_source"] == "cache"


@pytest.mark.parametrize("tenant", ["common", "organizations"])
def test_client_credentials_on_a_multi_tenant_authority_warn(emu, make_app, tenant):
    app = make_app("confidential-secret", authority=emu.authority(tenant))
    with pytest.warns(DeprecationWarning, match="/" + tenant):
        app.acquire_token_for_client([GRAPH_DEFAULT])
    for _ in range(2):  # Also when the answer comes from the cache, every time
        with pytest.warns(DeprecationWarning, match="/" + tenant):
            assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])


def test_client_credentials_on_a_tenant_do_not_warn(emu, make_app):
    app = make_app("confidential-secret")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])


class TestReplacedTokenCache:
    """``app.token_cache`` is a plain attribute in the original: a new cache serves every flow."""

    def test_silent_reads_and_writes_the_new_cache(self, emu, signed_in):
        app, first = signed_in()
        account = app.get_accounts()[0]
        old = app.token_cache
        app.token_cache = msal.TokenCache()
        assert app.get_accounts() == []
        assert app.acquire_token_silent(["User.Read"], account) is None
        app.token_cache = old
        assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"

    def test_client_credentials_read_and_write_the_new_cache(self, emu, make_app):
        app = make_app("confidential-secret")
        app.acquire_token_for_client([GRAPH_DEFAULT])
        new = app.token_cache = msal.TokenCache()
        result = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert result["token_source"] == "identity_provider"
        assert len(token_posts(emu, "client_credentials")) == 2
        [entry] = new.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
        assert entry["secret"] == result["access_token"]

    def test_a_sign_in_lands_in_the_new_cache(self, emu, make_app):
        app = make_app("web-app")
        new = app.token_cache = msal.SerializableTokenCache()
        user = emu.user("alice@" + emu.tenant_domain)
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=emu.app("web-app")["redirect_uris"][0])
        redirect = emu.sign_in(flow["auth_uri"], user["username"], user["password"])
        assert "access_token" in app.acquire_token_by_auth_code_flow(flow, query_of(redirect))
        assert new.has_state_changed and len(new.find(msal.TokenCache.CredentialType.ACCOUNT)) == 1

    def test_anything_but_a_cache_is_refused(self, make_app):
        app = make_app("web-app")
        with pytest.raises(TypeError, match="token_cache"):
            app.token_cache = {}


def test_refresh_in_becomes_the_cached_refresh_on_and_leaves_the_result(emu, make_app):
    app = make_app("confidential-secret")
    emu.inject(
        "body",
        "token",
        content_type="application/json",
        body=json.dumps(
            {
                "token_type": "Bearer",
                "access_token": "an-access-token",
                "expires_in": 3600,
                "refresh_in": 1800,
            }
        ),
    )
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert result["access_token"] == "an-access-token" and "refresh_in" not in result, result
    [entry] = app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    assert int(entry["refresh_on"]) == int(entry["cached_at"]) + 1800


@pytest.mark.parametrize(
    "suberror, classification",
    [
        ("basic_action", "basic_action"),
        ("consent_required", "consent_required"),
        ("user_password_expired", "user_password_expired"),
        ("bad_token", ""),
        ("client_mismatch", ""),
    ],
)
def test_a_failed_refresh_is_classified_by_its_suberror(emu, signed_in, suberror, classification):
    app, _ = signed_in()
    emu.inject("claims_challenge", "token", suberror=suberror)
    result = app.acquire_token_silent_with_error(["User.Read"], app.get_accounts()[0], force_refresh=True)
    assert result["suberror"] == suberror and result["classification"] == classification, result


def test_a_failed_refresh_without_suberror_has_no_classification(emu, signed_in):
    app, _ = signed_in()
    emu.revoke_refresh_tokens()
    result = app.acquire_token_silent_with_error(["User.Read"], app.get_accounts()[0], force_refresh=True)
    assert result["error"] == "invalid_grant" and "classification" not in result, result
