"""Public-client flows end to end against the emulator: device code, username/password (managed,
federated through ADFS WS-Trust, and an ADFS authority), FOCI and reserved scopes."""

import threading
import time

import pytest

import msal
from support.wire import token_posts

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def fast_devices(emu):
    emu.device_code_interval = 1
    return emu


def alice(emu):
    user = emu.user("alice@" + emu.tenant_domain)
    return user["username"], user["password"]


class TestDeviceFlow:
    def test_user_approves_from_another_thread(self, fast_devices, make_app):
        emu = fast_devices
        app = make_app("public")
        flow = app.initiate_device_flow(["User.Read"])
        assert flow["user_code"] and flow["message"] and flow["verification_uri"]
        assert flow["interval"] == 1 and flow["expires_at"] > time.time()
        approver = threading.Timer(1.5, emu.approve_device_code, (flow["user_code"],) + alice(emu))
        approver.start()
        result = app.acquire_token_by_device_flow(flow)
        approver.join()
        assert "access_token" in result, result
        assert result["id_token_claims"]["preferred_username"] == alice(emu)[0]
        polls = token_posts(emu, DEVICE_GRANT)
        assert len(polls) >= 2 and polls[0]["form"]["device_code"] == flow["device_code"]
        assert polls[0]["form"]["code"] == flow["device_code"]
        [account] = app.get_accounts()
        assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"

    def test_user_declines(self, fast_devices, make_app):
        emu = fast_devices
        app = make_app("public")
        flow = app.initiate_device_flow(["User.Read"])
        emu.approve_device_code(flow["user_code"], *alice(emu), approve=False)
        result = app.acquire_token_by_device_flow(flow)
        assert result["error"] == "authorization_declined"
        assert app.get_accounts() == []

    def test_expired_code(self, fast_devices, make_app):
        emu = fast_devices
        emu.device_code_expires_in = 1
        app = make_app("public")
        flow = app.initiate_device_flow(["User.Read"])
        flow["expires_at"] = time.time() + 30  # Our clock disagrees: the server's word counts
        result = app.acquire_token_by_device_flow(flow)
        assert result["error"] == "expired_token"

    def test_setting_expires_at_to_zero_aborts_polling(self, fast_devices, make_app):
        app = make_app("public")
        flow = app.initiate_device_flow(["User.Read"])
        outcome = {}
        poller = threading.Thread(
            target=lambda: outcome.update(result=app.acquire_token_by_device_flow(flow))
        )
        poller.start()
        time.sleep(1.5)
        flow["expires_at"] = 0
        poller.join(10)
        assert not poller.is_alive(), "polling must stop once expires_at is 0"
        assert outcome["result"]["error"] == "authorization_pending"

    def test_exit_condition(self, fast_devices, make_app):
        app = make_app("public")
        flow = app.initiate_device_flow(["User.Read"])
        result = app.acquire_token_by_device_flow(flow, exit_condition=lambda flow: True)
        assert result["error"] == "authorization_pending"
        assert len(token_posts(fast_devices, DEVICE_GRANT)) == 1

    def test_a_flow_that_is_not_one_is_a_value_error(self, make_app):
        with pytest.raises(ValueError):
            make_app("public").acquire_token_by_device_flow({"user_code": "x"})


class TestUsernamePassword:
    def test_managed_user(self, emu, make_app):
        app = make_app("public")
        result = app.acquire_token_by_username_password(*alice(emu), scopes=["User.Read"])
        assert "access_token" in result, result
        realm = [r for r in emu.requests if "/userrealm/" in r["path"]]
        assert realm and realm[0]["method"] == "GET"
        [post] = token_posts(emu, "password")
        assert post["headers"]["x-anchormailbox"] == "upn:" + alice(emu)[0]
        assert post["headers"]["x-client-current-telemetry"] == "4|301,0|"
        assert app.get_accounts()[0]["username"] == alice(emu)[0]

    def test_wrong_password(self, emu, make_app):
        app = make_app("public")
        result = app.acquire_token_by_username_password(alice(emu)[0], "wrong", ["User.Read"])
        assert result["error"] == "invalid_grant" and 50126 in result["error_codes"]
        assert app.get_accounts() == []

    @pytest.mark.parametrize(
        "versions,grant",
        [
            (("13", "2005"), "urn:ietf:params:oauth:grant-type:saml2-bearer"),
            (("2005",), "urn:ietf:params:oauth:grant-type:saml1_1-bearer"),
        ],
    )
    def test_federated_user_through_ws_trust(self, emu, make_app, versions, grant):
        emu.set_mex_document(emu.mex_document(versions=versions))
        carol = emu.user("carol@fabrikam.example")
        app = make_app("public")
        result = app.acquire_token_by_username_password(carol["username"], carol["password"], ["User.Read"])
        assert "access_token" in result, result
        paths = [r["path"] for r in emu.requests]
        assert any("/userrealm/" in p for p in paths) and "/adfs/services/trust/mex" in paths
        assert any("usernamemixed" in p for p in paths)
        assert token_posts(emu, "password") == []
        assert len(token_posts(emu, grant)) == 1
        assert app.get_accounts()[0]["username"] == carol["username"]

    def test_federated_user_with_a_wrong_password(self, emu, make_app):
        carol = emu.user("carol@fabrikam.example")
        result = make_app("public").acquire_token_by_username_password(
            carol["username"], "wrong", ["User.Read"]
        )
        assert result["error"] == "invalid_grant" and "ID3242" in result["error_description"]
        assert token_posts(emu) == []

    def test_federated_user_with_a_broken_mex_document(self, emu, make_app):
        emu.set_mex_document("<wsdl:definitions>broken")
        carol = emu.user("carol@fabrikam.example")
        app = make_app("public")
        result = app.acquire_token_by_username_password(carol["username"], carol["password"], ["User.Read"])
        assert result["error"] == "federation_error" and "MEX" in result["error_description"]
        assert token_posts(emu) == [] and app.get_accounts() == []

    def test_adfs_authority_uses_the_password_grant_directly(self, emu, make_app):
        carol = emu.user("carol@fabrikam.example")
        app = make_app("public", authority=emu.base_url + "/adfs")
        result = app.acquire_token_by_username_password(carol["username"], carol["password"], ["User.Read"])
        assert "access_token" in result, result
        assert not any("/userrealm/" in r["path"] for r in emu.requests)
        [post] = token_posts(emu, "password")
        assert post["path"].startswith("/adfs/")
        [account] = app.get_accounts()
        assert account["authority_type"] == "ADFS" and account["realm"] == "adfs"
        assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "cache"


class TestScopesAndFamilies:
    def test_exclude_scopes(self, emu, make_app):
        app = make_app("public", exclude_scopes=["offline_access"])
        result = app.acquire_token_by_username_password(*alice(emu), scopes=["User.Read"])
        assert "access_token" in result and "refresh_token" not in result
        assert "offline_access" not in token_posts(emu, "password")[0]["form"]["scope"].split()

    @pytest.mark.parametrize(
        "call",
        [
            lambda app: app.initiate_device_flow(["openid"]),
            lambda app: app.acquire_token_by_username_password("u", "p", ["offline_access"]),
            lambda app: app.initiate_auth_code_flow(["profile", "User.Read"]),
            lambda app: app.acquire_token_interactive(["openid"], timeout=1),
            lambda app: app.acquire_token_by_refresh_token("rt", ["openid"]),
        ],
        ids=["device", "password", "auth_code", "interactive", "refresh_token"],
    )
    def test_reserved_scopes_are_value_errors(self, emu, make_app, call):
        with pytest.raises(ValueError, match="reserved"):
            call(make_app("public"))
        assert token_posts(emu) == []

    def test_family_refresh_token_serves_another_family_app(self, emu, make_app):
        cache = msal.TokenCache()
        first = make_app("family-a", token_cache=cache)
        result = first.acquire_token_by_username_password(*alice(emu), scopes=["User.Read"])
        assert result.get("foci") == "1", result
        second = make_app("family-b", token_cache=cache)
        [account] = second.get_accounts()
        token = second.acquire_token_silent(["User.Read"], account)
        assert token and token["token_source"] == "identity_provider"
        [post] = token_posts(emu, "refresh_token")
        assert post["form"]["client_id"] == emu.app("family-b")["client_id"]
        assert post["form"]["refresh_token"] == result["refresh_token"]

    def test_an_app_outside_the_family_does_not_use_family_tokens(self, emu, make_app):
        cache = msal.TokenCache()
        make_app("family-a", token_cache=cache).acquire_token_by_username_password(
            *alice(emu), scopes=["User.Read"]
        )
        outsider = make_app("public", token_cache=cache)
        result = outsider.acquire_token_silent_with_error(["User.Read"], outsider.get_accounts()[0])
        [post] = token_posts(emu, "refresh_token")
        assert post["form"]["client_id"] == emu.app("public")["client_id"]
        assert result is None, (
            "a refused family token means no token for an outsider, as the original reports it"
        )
        assert not cache.find(
            msal.TokenCache.CredentialType.ACCESS_TOKEN, query={"client_id": emu.app("public")["client_id"]}
        )

    def test_an_outsiders_own_refresh_token_error_is_reported(self, emu, make_app):
        cache = msal.TokenCache()
        make_app("family-a", token_cache=cache).acquire_token_by_username_password(
            *alice(emu), scopes=["User.Read"]
        )
        outsider = make_app("public", token_cache=cache)
        outsider.acquire_token_by_username_password(*alice(emu), scopes=["User.Read"])
        emu.revoke_refresh_tokens()
        result = outsider.acquire_token_silent_with_error(
            ["User.Read"], outsider.get_accounts()[0], force_refresh=True
        )
        assert result["error"] == "invalid_grant", result
