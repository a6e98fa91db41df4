"""The ADFS authority at https://<host>/adfs: discovery, password, auth code, refresh, device."""

from urllib.parse import urlencode

from msal_emulator import auth_response
from msal_emulator.browser import Browser

from emu_helpers import ALICE, CAROL, DEVICE_GRANT, REDIRECT, pkce_pair

SCOPE = "openid profile offline_access"


def adfs_token(http, emu, form):
    return http.post(
        emu.base_url + "/adfs/oauth2/token/",
        data=dict(form, client_id=emu.app("public")["client_id"], client_info="1"),
    )


def api_scope(emu):
    return emu.app("web-api")["app_id_uri"] + "/access_as_user " + SCOPE


def test_discovery_document(emulator, http):
    doc = http.get(emulator.base_url + "/adfs/.well-known/openid-configuration").json()
    base = emulator.base_url + "/adfs"
    assert doc["issuer"] == base
    assert doc["authorization_endpoint"] == base + "/oauth2/authorize/"
    assert doc["token_endpoint"] == base + "/oauth2/token/"
    assert doc["device_authorization_endpoint"] == base + "/oauth2/devicecode"
    keys = http.get(doc["jwks_uri"]).json()["keys"]
    assert keys[0]["issuer"] == base


def assert_adfs_shape(http, emu, body):
    assert "client_info" not in body and "foci" not in body
    idt = http.claims(body["id_token"])
    assert idt["iss"] == emu.base_url + "/adfs"
    assert idt["upn"] == idt["unique_name"] == CAROL[0]
    assert "tid" not in idt and "oid" not in idt and "preferred_username" not in idt
    at = http.claims(body["access_token"])
    assert at["aud"] == emu.app("web-api")["app_id_uri"] and at["upn"] == CAROL[0]
    assert at["iss"] == "http://localhost:%d/adfs/services/trust" % emu.port


def test_password_grant_and_refresh(emulator, http):
    form = {
        "grant_type": "password",
        "username": CAROL[0],
        "password": CAROL[1],
        "scope": api_scope(emulator),
    }
    body = adfs_token(http, emulator, form).json()
    assert_adfs_shape(http, emulator, body)
    assert body["refresh_token_expires_in"] > 0
    refreshed = adfs_token(
        http,
        emulator,
        {"grant_type": "refresh_token", "scope": api_scope(emulator), "refresh_token": body["refresh_token"]},
    ).json()
    assert_adfs_shape(http, emulator, refreshed)
    entra = http.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": emulator.app("public")["client_id"],
        }
    )
    assert entra.json()["error"] == "invalid_grant"  # an ADFS refresh token is not Entra's


def test_adfs_knows_only_its_domain_users(emulator, http):
    form = {"grant_type": "password", "username": ALICE[0], "password": ALICE[1], "scope": SCOPE}
    assert adfs_token(http, emulator, form).json()["error_codes"] == [50126]
    form.update(username=CAROL[0], password="wrong")
    assert adfs_token(http, emulator, form).json()["error_codes"] == [50126]


def test_auth_code_flow(emulator, http):
    verifier, challenge = pkce_pair()
    params = {
        "client_id": emulator.app("public")["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": api_scope(emulator),
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "client_info": "1",
    }
    url = emulator.base_url + "/adfs/oauth2/authorize/?" + urlencode(params)
    response = auth_response(Browser(emulator).sign_in(url, *CAROL))
    assert response["state"] == "s1" and "client_info" not in response
    body = adfs_token(
        http,
        emulator,
        {
            "grant_type": "authorization_code",
            "code": response["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "scope": api_scope(emulator),
        },
    ).json()
    assert_adfs_shape(http, emulator, body)
    assert http.claims(body["id_token"])["nonce"] == "n1"


def test_device_code_flow(emulator, http):
    resp = http.post(
        emulator.base_url + "/adfs/oauth2/devicecode",
        data={"client_id": emulator.app("public")["client_id"], "scope": api_scope(emulator)},
    )
    flow = resp.json()
    assert flow["verification_uri"] == emulator.base_url + "/adfs/oauth2/deviceauth"
    emulator.approve_device_code(flow["user_code"], *CAROL, verification_uri=flow["verification_uri"])
    body = adfs_token(http, emulator, {"grant_type": DEVICE_GRANT, "device_code": flow["device_code"]}).json()
    assert_adfs_shape(http, emulator, body)
