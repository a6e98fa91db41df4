from msal_emulator import auth_response
from msal_emulator.browser import Browser

from emu_helpers import ALICE, GRAPH, authorize_url, redeem

OBO_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _tokens(emu, http, app="public", user=ALICE):
    url, verifier = authorize_url(emu, app=app)
    code = auth_response(Browser(emu).sign_in(url, *user))["code"]
    return redeem(http, emu, code, verifier, app=app).json()


def _refresh(http, emu, rt, app="public", scope="User.Read openid profile offline_access"):
    return http.token(
        {
            "grant_type": "refresh_token",
            "client_id": emu.app(app)["client_id"],
            "refresh_token": rt,
            "scope": scope,
            "client_info": "1",
        }
    )


def test_refresh_rotates_and_old_token_stays_valid(emulator, http):
    first = _tokens(emulator, http)
    resp = _refresh(http, emulator, first["refresh_token"])
    assert resp.status_code == 200
    second = resp.json()
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert http.claims(second["id_token"])["oid"] == emulator.user("alice")["oid"]
    assert _refresh(http, emulator, first["refresh_token"]).status_code == 200


def test_refresh_token_is_multi_resource(emulator, http):
    rt = _tokens(emulator, http)["refresh_token"]
    api = emulator.app("web-api")["app_id_uri"]
    body = _refresh(http, emulator, rt, scope=api + "/access_as_user openid profile offline_access").json()
    at = http.claims(body["access_token"])
    assert at["aud"] == api and at["scp"] == "access_as_user"
    assert body["scope"] == api + "/access_as_user"


def test_revoked_refresh_token(emulator, http):
    rt = _tokens(emulator, http, user=("bob@contoso.example", "Bob-Passw0rd!"))["refresh_token"]
    alice_rt = _tokens(emulator, http)["refresh_token"]
    assert emulator.revoke_refresh_tokens("bob@contoso.example") >= 1
    resp = _refresh(http, emulator, rt)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_codes"] == [50173]
    assert _refresh(http, emulator, alice_rt).status_code == 200


def test_refresh_token_of_another_client(emulator, http):
    rt = _tokens(emulator, http)["refresh_token"]
    resp = _refresh(http, emulator, rt, app="family-a")
    assert resp.json()["error"] == "invalid_grant"


def test_family_refresh_token_works_across_family(emulator, http):
    first = _tokens(emulator, http, app="family-a")
    assert first["foci"] == "1"
    resp = _refresh(http, emulator, first["refresh_token"], app="family-b")
    assert resp.status_code == 200
    assert http.claims(resp.json()["access_token"])["azp"] == emulator.app("family-b")["client_id"]
    resp = _refresh(http, emulator, first["refresh_token"], app="public")
    assert resp.json()["error"] == "invalid_grant" and resp.json()["suberror"] == "client_mismatch"


def _obo(
    http,
    emu,
    assertion,
    scope="https://graph.microsoft.com/User.Read openid profile offline_access",
    app="web-api",
):
    a = emu.app(app)
    return http.token(
        {
            "grant_type": OBO_GRANT,
            "requested_token_use": "on_behalf_of",
            "client_id": a["client_id"],
            "client_secret": a["client_secret"],
            "assertion": assertion,
            "scope": scope,
            "client_info": "1",
        }
    )


def test_on_behalf_of(emulator, http):
    incoming = emulator.issue_token("alice")
    assert http.claims(incoming)["aud"] == emulator.app("web-api")["app_id_uri"]
    resp = _obo(http, emulator, incoming)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    at = http.claims(body["access_token"])
    assert at["aud"] == GRAPH and at["oid"] == emulator.user("alice")["oid"]
    assert at["azp"] == emulator.app("web-api")["client_id"]
    assert body["refresh_token"] and body["id_token"] and body["client_info"]


def test_on_behalf_of_with_token_from_auth_code_flow(emulator, http):
    api = emulator.app("web-api")["app_id_uri"]
    url, verifier = authorize_url(emulator, scope=api + "/access_as_user openid offline_access")
    code = auth_response(Browser(emulator).sign_in(url, *ALICE))["code"]
    incoming = redeem(
        http, emulator, code, verifier, scope=api + "/access_as_user openid offline_access"
    ).json()["access_token"]
    assert _obo(http, emulator, incoming).status_code == 200


def test_on_behalf_of_wrong_audience(emulator, http):
    resp = _obo(http, emulator, emulator.issue_token("alice", scopes="User.Read"))
    assert resp.status_code == 400 and resp.json()["error_codes"] == [50013]


def test_on_behalf_of_tampered_token(emulator, http):
    head, payload, sig = emulator.issue_token("alice").split(".")
    resp = _obo(
        http, emulator, ".".join([head, payload, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
    )
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_codes"] == [50013]


def test_on_behalf_of_expired_token(emulator, http, clock):
    incoming = emulator.issue_token("alice")
    clock.advance(3601)
    resp = _obo(http, emulator, incoming)
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_codes"] == [500133]


def test_userinfo_with_graph_token(emulator, http):
    token = _tokens(emulator, http)["access_token"]
    info = http.get(emulator.base_url + "/oidc/userinfo", headers={"Authorization": "Bearer " + token}).json()
    assert info["name"] == "Alice Smith" and info["email"] == "alice@contoso.example"
    assert (
        http.get(emulator.base_url + "/oidc/userinfo", headers={"Authorization": "Bearer junk"}).status_code
        == 401
    )
