"""The calls later msal versions (up to 1.39.0) added, end to end over the emulator: what goes
on the wire, what comes back, and what the cache keeps."""

import json
import time

import pytest

import msal
import msal.authority
from support.apps import GRAPH_DEFAULT
from support.browser import ScriptedBrowser, registered
from support.wire import token_posts

NBF = '{"access_token": {"nbf": {"essential": true}}}'
FORWARDED = '{"access_token": {"xms_foo": {"value": "bar"}}}'


def app_token(make_app):
    """An app-only token issued by the emulator: an agent's instance token."""
    result = make_app("confidential-secret").acquire_token_for_client([GRAPH_DEFAULT])
    return result["access_token"]


class TestRefreshOn:
    """``refresh_in`` from the server is reported as ``refresh_on`` (epoch seconds), on the
    network result and on every later cache hit, as 1.39 does."""

    def test_client_credentials(self, emu, make_app):
        emu.refresh_in = 1800
        app = make_app("confidential-secret")
        before = int(time.time())
        first = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert "refresh_in" not in first and first["token_source"] == "identity_provider"
        assert before + 1800 <= first["refresh_on"] <= int(time.time()) + 1800
        hit = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert hit["token_source"] == "cache" and hit["refresh_on"] == first["refresh_on"]
        assert list(hit) == ["access_token", "token_type", "expires_in", "token_source", "refresh_on"]

    def test_user_flow_and_silent(self, emu, signed_in):
        emu.refresh_in = 600
        app, result = signed_in()
        assert isinstance(result["refresh_on"], int) and "refresh_in" not in result
        [account] = app.get_accounts()
        hit = app.acquire_token_silent(["User.Read"], account)
        assert hit["token_source"] == "cache" and hit["refresh_on"] == result["refresh_on"]

    def test_absent_without_refresh_in(self, emu, make_app):
        app = make_app("confidential-secret")
        assert "refresh_on" not in app.acquire_token_for_client([GRAPH_DEFAULT])
        assert "refresh_on" not in app.acquire_token_for_client([GRAPH_DEFAULT])


class TestOidcAuthority:
    def oidc_app(self, emu, **kwargs):
        app = emu.app("confidential-secret")
        return msal.ConfidentialClientApplication(
            app["client_id"],
            client_credential=emu.client_credential("confidential-secret"),
            oidc_authority=emu.authority() + "/v2.0",
            verify=emu.ca_path,
            **kwargs,
        )

    def test_discovery_from_the_authority_itself(self, emu):
        result = self.oidc_app(emu).acquire_token_for_client([GRAPH_DEFAULT])
        assert result["token_source"] == "identity_provider", result
        gets = [r["path"] for r in emu.requests if r["method"] == "GET"]
        assert gets == ["/{}/v2.0/.well-known/openid-configuration".format(emu.tenant_id)]
        assert not any("discovery/instance" in r["path"] for r in emu.requests)

    def test_an_issuer_on_another_host_is_refused(self, emu):
        doc = {
            "issuer": "https://attacker.example/{}/v2.0".format(emu.tenant_id),
            "authorization_endpoint": emu.authority() + "/oauth2/v2.0/authorize",
            "token_endpoint": emu.token_endpoint(),
        }
        emu.inject("body", "discovery", body=json.dumps(doc), content_type="application/json")
        with pytest.raises(ValueError, match="attacker.example"):
            self.oidc_app(emu).acquire_token_for_client([GRAPH_DEFAULT])
        assert not token_posts(emu), "no credential may go to a provider that is not the one named"

    def test_both_authorities_or_a_bare_host_are_refused(self, emu):
        with pytest.raises(ValueError, match="both authority and oidc_authority"):
            self.oidc_app(emu, authority=emu.authority())
        with pytest.raises(ValueError, match="path segment"):
            msal.ConfidentialClientApplication(
                "id", client_credential="s", oidc_authority="https://idp.example"
            )

    def test_user_sign_in_checks_the_discovered_issuer(self, emu):
        app = msal.PublicClientApplication(
            emu.app("public")["client_id"], oidc_authority=emu.authority() + "/v2.0", verify=emu.ca_path
        )
        alice = emu.user("alice")
        result = app.acquire_token_by_username_password(alice["username"], alice["password"], ["User.Read"])
        assert result["id_token_claims"]["iss"] == emu.authority() + "/v2.0", result
        assert [a["username"] for a in app.get_accounts()] == [alice["username"]]


class TestUserFederatedIdentityCredential:
    def test_by_username_then_silent(self, emu, make_app):
        assertion = app_token(make_app)
        app = make_app("confidential-secret")
        alice = emu.user("alice")
        emu.clear_requests()
        result = app.acquire_token_by_user_federated_identity_credential(
            ["User.Read"], assertion, username=alice["username"]
        )
        assert result["token_source"] == "identity_provider", result
        [post] = token_posts(emu)
        form = post["form"]
        assert form["grant_type"] == "user_fic" and form["username"] == alice["username"]
        assert form["user_federated_identity_credential"] == assertion
        assert form["scope"].split() == ["User.Read", "offline_access", "openid", "profile"]
        assert post["headers"]["x-client-current-telemetry"] == "4|950,0|"
        [account] = app.get_accounts()
        assert account["username"] == alice["username"]
        assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"

    def test_by_object_id_with_claims(self, emu, make_app):
        assertion = app_token(make_app)
        app = make_app("confidential-secret", client_capabilities=["CP1"])
        bob = emu.user("bob")
        emu.clear_requests()
        result = app.acquire_token_by_user_federated_identity_credential(
            ["User.Read"],
            assertion,
            user_object_id=bob["oid"],
            claims_challenge=NBF,
            forwarded_client_claims=FORWARDED,
        )
        assert result["id_token_claims"]["oid"] == bob["oid"], result
        form = token_posts(emu)[0]["form"]
        assert form["user_id"] == bob["oid"] and "username" not in form
        assert json.loads(form["claims"]) == {
            "access_token": {
                "nbf": {"essential": True},
                "xms_foo": {"value": "bar"},
                "xms_cc": {"values": ["CP1"]},
            }
        }

    def test_a_forged_assertion_is_an_error_dict(self, emu, make_app):
        result = make_app("confidential-secret").acquire_token_by_user_federated_identity_credential(
            ["User.Read"], "not.a.token", username=emu.user("alice")["username"]
        )
        assert result["error"] == "invalid_grant" and "access_token" not in result

    @pytest.mark.parametrize(
        "kwargs,message",
        [
            (dict(assertion="a"), "Either username or user_object_id"),
            (dict(assertion="a", username="u", user_object_id="o"), "mutually exclusive"),
            (dict(assertion="", username="u"), "assertion is required"),
        ],
    )
    def test_misuse_is_a_value_error_before_any_request(self, emu, make_app, kwargs, message):
        app = make_app("confidential-secret")
        with pytest.raises(ValueError, match=message):
            app.acquire_token_by_user_federated_identity_credential(["User.Read"], **kwargs)
        assert not token_posts(emu)


class TestClientCredentialsExtensions:
    def test_fmi_path_is_sent_and_its_token_kept_apart(self, emu, make_app):
        app = make_app("confidential-secret")
        plain = app.acquire_token_for_client([GRAPH_DEFAULT])
        fmi = app.acquire_token_for_client([GRAPH_DEFAULT], fmi_path="SomeFmiPath/Credential")
        assert fmi["token_source"] == "identity_provider"
        posts = token_posts(emu, "client_credentials")
        assert "fmi_path" not in posts[0]["form"]
        assert posts[1]["form"]["fmi_path"] == "SomeFmiPath/Credential"
        again = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert again["token_source"] == "cache" and again["access_token"] == plain["access_token"]
        assert len(app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)) == 1

    def test_forwarded_client_claims_merge_after_the_challenge(self, emu, make_app):
        app = make_app("confidential-secret")
        app.acquire_token_for_client([GRAPH_DEFAULT], claims_challenge=NBF, forwarded_client_claims=FORWARDED)
        [post] = token_posts(emu)
        assert post["form"]["claims"] == json.dumps(
            {"access_token": {"nbf": {"essential": True}, "xms_foo": {"value": "bar"}}}
        )
        assert not app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)

    def test_forwarded_claims_come_after_the_capabilities_and_win_a_conflict(self, emu, make_app):
        app = make_app("confidential-secret", client_capabilities=["CP1"])
        app.acquire_token_for_client([GRAPH_DEFAULT], claims_challenge=NBF, forwarded_client_claims=FORWARDED)
        app.acquire_token_for_client(
            [GRAPH_DEFAULT],
            claims_challenge=NBF,
            forwarded_client_claims='{"access_token": {"nbf": {"essential": false}}}',
        )
        first, second = [p["form"]["claims"] for p in token_posts(emu)]
        assert first == json.dumps(
            {
                "access_token": {
                    "nbf": {"essential": True},
                    "xms_cc": {"values": ["CP1"]},
                    "xms_foo": {"value": "bar"},
                }
            }
        )
        assert json.loads(second)["access_token"]["nbf"] == {"essential": False}

    def test_forwarded_client_claims_must_be_a_json_object(self, make_app):
        with pytest.raises(ValueError, match="forwarded_client_claims"):
            make_app("confidential-secret").acquire_token_for_client(
                [GRAPH_DEFAULT], forwarded_client_claims="[1]"
            )

    def test_a_token_filed_with_an_ext_cache_key_is_not_served_to_a_plain_call(self, emu, make_app):
        """A cache shared with 1.39 may hold its FMI-path tokens (key prefix ``atext``)."""
        cache = msal.SerializableTokenCache()
        app = make_app("confidential-secret", token_cache=cache)
        app.acquire_token_for_client([GRAPH_DEFAULT])
        state = json.loads(cache.serialize())
        [(key, entry)] = state["AccessToken"].items()
        extended = dict(entry, secret="fmi-token", ext_cache_key="k" * 43)
        state["AccessToken"] = {key.replace("-accesstoken-", "-atext-") + "-" + "k" * 43: extended}
        cache.deserialize(json.dumps(state))
        result = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert result["token_source"] == "identity_provider" and result["access_token"] != "fmi-token"

    def test_remove_tokens_for_client_keeps_the_users(self, emu, signed_in):
        app, _ = signed_in()
        app.acquire_token_for_client([GRAPH_DEFAULT])
        AT = msal.TokenCache.CredentialType.ACCESS_TOKEN
        assert len(app.token_cache.find(AT)) == 2
        app.remove_tokens_for_client()
        [left] = app.token_cache.find(AT)
        assert left["home_account_id"]
        [account] = app.get_accounts()
        assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"
        emu.clear_requests()
        assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "identity_provider"


class TestForwardedClaimsOnUserFlows:
    def test_on_behalf_of(self, emu, make_app):
        incoming = emu.issue_token(user="alice@" + emu.tenant_domain)
        app = make_app("web-api")
        result = app.acquire_token_on_behalf_of(incoming, ["User.Read"], forwarded_client_claims=FORWARDED)
        assert "access_token" in result, result
        assert token_posts(emu)[0]["form"]["claims"] == FORWARDED

    def test_silent_refreshes_with_them(self, emu, signed_in):
        app, _ = signed_in()
        [account] = app.get_accounts()
        emu.clear_requests()
        result = app.acquire_token_silent(["User.Read"], account, forwarded_client_claims=FORWARDED)
        assert result["token_source"] == "identity_provider"
        [post] = token_posts(emu, "refresh_token")
        assert post["form"]["claims"] == FORWARDED


class TestDeviceFlowClaims:
    def test_claims_challenge_goes_with_the_device_authorization_request(self, emu, make_app):
        app = make_app("public", client_capabilities=["CP1"])
        flow = app.initiate_device_flow(["User.Read"], claims_challenge=NBF)
        assert "user_code" in flow, flow
        [post] = [r for r in emu.requests if r["path"].endswith("/devicecode")]
        assert json.loads(post["form"]["claims"]) == {
            "access_token": {"nbf": {"essential": True}, "xms_cc": {"values": ["CP1"]}}
        }

    def test_no_claims_field_without_one(self, emu, make_app):
        make_app("public").initiate_device_flow(["User.Read"])
        [post] = [r for r in emu.requests if r["path"].endswith("/devicecode")]
        assert "claims" not in post["form"]


class TestProofOfPossession:
    SCHEME = msal.PopAuthScheme(msal.PopAuthScheme.HTTP_GET, "https://api.example/r", "nonce")

    def test_every_flow_refuses_it_before_any_request(self, emu, make_app):
        public = make_app("public")
        alice = emu.user("alice")
        assert public.is_pop_supported() is False
        with pytest.raises(ValueError, match="broker"):
            public.acquire_token_by_username_password(
                alice["username"], alice["password"], ["User.Read"], auth_scheme=self.SCHEME
            )
        with pytest.raises(ValueError, match="broker"):
            public.acquire_token_interactive(["User.Read"], auth_scheme=self.SCHEME)
        with pytest.raises(ValueError, match="broker"):
            make_app("confidential-secret").acquire_token_silent(["User.Read"], None, auth_scheme=self.SCHEME)
        assert not emu.requests

    @pytest.mark.parametrize(
        "args,message",
        [
            (("get", "https://api.example/r", "n"), "upper case"),
            (("GET", None, "n"), "required"),
            (("GET", "https://api.example/r", ""), "required"),
        ],
    )
    def test_scheme_checks_its_arguments(self, args, message):
        with pytest.raises(ValueError, match=message):
            msal.PopAuthScheme(*args)


@pytest.fixture
def scripted_browser(emu):
    alice = emu.user("alice")
    sign_in = lambda url: emu.sign_in(url, alice["username"], alice["password"])
    with registered(ScriptedBrowser(sign_in)) as browser:
        yield browser


def test_broker_opt_ins_fall_back_to_the_browser(emu, make_app, scripted_browser):
    app = make_app(
        "public",
        enable_broker_on_windows=True,
        enable_broker_on_mac=True,
        enable_broker_on_linux=True,
        enable_broker_on_wsl=True,
    )
    launched = []
    result = app.acquire_token_interactive(
        ["User.Read"],
        timeout=60,
        parent_window_handle=app.CONSOLE_WINDOW_HANDLE,
        on_before_launching_ui=lambda ui, **kwargs: launched.append(ui),
    )
    scripted_browser.join()
    assert "access_token" in result, result
    assert launched == ["browser"]


def test_broker_opt_ins_are_for_public_clients_only(emu):
    with pytest.raises(TypeError):
        msal.ConfidentialClientApplication("id", client_credential="s", enable_broker_on_windows=True)


def test_msal_force_region(emu, monkeypatch):
    monkeypatch.setenv("MSAL_FORCE_REGION", "westus")
    app_config = emu.app("confidential-secret")

    def app(**kwargs):
        return msal.ConfidentialClientApplication(
            app_config["client_id"],
            client_credential=emu.client_credential("confidential-secret"),
            authority="https://login.microsoftonline.com/" + emu.tenant_id,
            http_client=emu.http_client(),
            **kwargs,
        )

    assert "access_token" in app().acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in app(
        azure_region=msal.ClientApplication.DISABLE_MSAL_FORCE_REGION
    ).acquire_token_for_client([GRAPH_DEFAULT])
    assert [p["host"] for p in token_posts(emu)] == [
        "westus.login.microsoft.com",
        "login.microsoftonline.com",
    ]


def test_a_malformed_msal_force_region_is_refused(monkeypatch):
    monkeypatch.setenv("MSAL_FORCE_REGION", "west us/../x")
    with pytest.raises(ValueError, match="MSAL_FORCE_REGION"):
        msal.ConfidentialClientApplication("id", client_credential="s")


def test_tenant_discovery(emu):
    session = emu.http_client()
    url = "https://login.microsoftonline.com/{}/v2.0/.well-known/openid-configuration".format(emu.tenant_id)
    doc = msal.authority.tenant_discovery(url, session)
    assert doc["token_endpoint"].endswith("/oauth2/v2.0/token")
    with pytest.raises(ValueError, match="OIDC Discovery failed"):
        msal.authority.tenant_discovery(url.replace(emu.tenant_id, "no-such-tenant"), session)


def test_pii_log_switch_is_kept_for_the_log_lines(make_app):
    assert make_app("public")._ctx.config.pii_log is False
    assert make_app("public", enable_pii_log=True)._enable_pii_log is True
    assert make_app("public", enable_pii_log=True)._ctx.config.pii_log is True


def test_id_token_error_takes_either_signature():
    assert str(msal.IdTokenError("bad nonce")) == "bad nonce"
    text = str(msal.IdTokenError("bad audience", 123, {"aud": "x", "exp": 1, "secret": "s"}))
    assert "bad audience" in text and "123" in text and "'aud': 'x'" in text
    assert "secret" not in text


def test_auto_refresher_reuses_the_value_until_it_expires():
    made = iter(range(10))
    reused = msal.AutoRefresher(lambda: next(made), expires_in=3600)
    assert [reused(), reused()] == [0, 0]
    renewed = msal.AutoRefresher(lambda: next(made), expires_in=0)
    assert renewed() != renewed()
