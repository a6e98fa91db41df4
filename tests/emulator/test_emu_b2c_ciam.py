"""The emulator's B2C and CIAM tenants: discovery, sign-in, token shapes, AADB2C errors, and
the routing of their login hosts through `http_client()`."""

import base64
import json
from urllib.parse import urlencode

import jwt
import pytest
import requests

from msal_emulator import Emulator, SignInError, auth_response
from msal_emulator.browser import Browser

from emu_helpers import pkce_pair

DANA = ("dana@contosob2c.example", "Dana-Passw0rd!")
ERIN = ("erin@contosociam.example", "Erin-Passw0rd!")
API_READ = "https://contosob2c.onmicrosoft.com/api/read"
B2C_TENANT = "7d3c2b1a-5e4f-4a8b-9c6d-0e1f2a3b4c5d"
CIAM_TENANT = "a61c0d5e-2f3b-4c7a-8e9d-1b2c3d4e5f60"
REDIRECT = "http://localhost:8400"


@pytest.fixture
def web(emulator):
    """The emulator's session: it reaches the B2C and CIAM hosts as themselves."""
    return emulator.http_client()


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def decoded_client_info(value):
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def discover(web, authority):
    resp = web.get(authority + "/v2.0/.well-known/openid-configuration")
    assert resp.status_code == 200, resp.text
    return resp.json()


def b2c_code(emu, web, app="b2c-public", policy="B2C_1_signupsignin", scope=API_READ, user=DANA):
    """Sign in on a user flow's pages; returns (auth response, PKCE verifier, token endpoint)."""
    doc = discover(web, emu.b2c_authority(policy))
    verifier, challenge = pkce_pair()
    params = {
        "client_id": emu.app(app)["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": scope + " openid offline_access profile",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "client_info": "1",
    }
    result = Browser(emu).sign_in(doc["authorization_endpoint"] + "?" + urlencode(params), *user)
    return auth_response(result), verifier, doc["token_endpoint"]


def redeem(emu, web, code, verifier, token_endpoint, app="b2c-public", scope=API_READ, **extra):
    form = {
        "grant_type": "authorization_code",
        "client_id": emu.app(app)["client_id"],
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "scope": scope + " openid offline_access profile",
        "client_info": "1",
    }
    form.update(extra)
    return web.post(token_endpoint, data=form)


def test_b2c_discovery_names_the_user_flow(emulator, web):
    doc = discover(web, emulator.b2c_authority())
    base = "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/b2c_1_signupsignin"
    assert doc["issuer"] == "https://contosob2c.b2clogin.com/%s/v2.0/" % B2C_TENANT
    assert doc["authorization_endpoint"] == base + "/oauth2/v2.0/authorize"
    assert doc["token_endpoint"] == base + "/oauth2/v2.0/token"
    assert doc["jwks_uri"] == base + "/discovery/v2.0/keys"
    assert "device_authorization_endpoint" not in doc
    keys = web.get(doc["jwks_uri"]).json()["keys"]
    assert keys[0]["kid"] == emulator.signing_key.kid


def test_b2c_unknown_policy_and_non_b2c_tenant_are_refused(emulator, web):
    resp = web.get(
        "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_nope"
        "/v2.0/.well-known/openid-configuration"
    )
    assert resp.status_code == 404
    assert resp.json()["error_description"].startswith("AADB2C90022: ")
    resp = web.get(
        emulator.base_url + "/%s/B2C_1_signupsignin/v2.0/.well-known/"
        "openid-configuration" % emulator.tenant_id
    )
    assert resp.status_code == 404


def test_b2c_auth_code_tokens_have_b2c_shape(emulator, web):
    params, verifier, token_endpoint = b2c_code(emulator, web)
    dana = emulator.user("dana")
    uid = dana["oid"] + "-b2c_1_signupsignin"
    assert decoded_client_info(params["client_info"]) == {"uid": uid, "utid": B2C_TENANT}
    body = redeem(emulator, web, params["code"], verifier, token_endpoint).json()
    assert body["scope"] == API_READ + " offline_access openid"
    assert body["refresh_token"] and body["refresh_token_expires_in"] == 14 * 24 * 3600
    assert decoded_client_info(body["client_info"]) == {"uid": uid, "utid": B2C_TENANT}
    idt = claims(body["id_token"])
    assert idt["tfp"] == "B2C_1_signupsignin" and idt["sub"] == idt["oid"] == dana["oid"]
    assert idt["emails"] == [DANA[0]] and idt["name"] == "Dana Lee"
    assert "preferred_username" not in idt and "tid" not in idt
    assert idt["iss"] == "https://contosob2c.b2clogin.com/%s/v2.0/" % B2C_TENANT
    assert idt["nonce"] == "n1" and idt["aud"] == emulator.app("b2c-public")["client_id"]
    at = claims(body["access_token"])
    assert at["aud"] == body["resource"] == emulator.app("b2c-api")["client_id"]
    assert at["scp"] == "read" and at["tfp"] == "B2C_1_signupsignin"


def test_b2c_without_api_scopes_gives_no_access_token(emulator, web):
    params, verifier, token_endpoint = b2c_code(emulator, web, scope="openid")
    body = redeem(emulator, web, params["code"], verifier, token_endpoint, scope="openid").json()
    assert "access_token" not in body and body["id_token"] and body["refresh_token"]


def test_b2c_refresh_token_works_only_on_its_own_user_flow(emulator, web):
    params, verifier, token_endpoint = b2c_code(emulator, web)
    rt = redeem(emulator, web, params["code"], verifier, token_endpoint).json()["refresh_token"]
    form = {
        "grant_type": "refresh_token",
        "refresh_token": rt,
        "client_info": "1",
        "client_id": emulator.app("b2c-public")["client_id"],
        "scope": API_READ + " openid",
    }
    body = web.post(token_endpoint, data=form).json()
    assert claims(body["access_token"])["scp"] == "read" and body["refresh_token"] != rt
    other = token_endpoint.replace("b2c_1_signupsignin", "b2c_1_ropc")
    resp = web.post(other, data=form)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    assert resp.json()["error_description"].startswith("AADB2C90088: ")
    assert "error_codes" not in resp.json()


def test_b2c_ropc_only_on_the_ropc_user_flow(emulator, web):
    form = {
        "grant_type": "password",
        "username": DANA[0],
        "password": DANA[1],
        "client_id": emulator.app("b2c-public")["client_id"],
        "client_info": "1",
        "scope": API_READ + " openid offline_access",
    }
    ropc = discover(web, emulator.b2c_authority("B2C_1_ropc"))["token_endpoint"]
    body = web.post(ropc, data=form).json()
    assert claims(body["id_token"])["tfp"] == "B2C_1_ropc"
    assert decoded_client_info(body["client_info"])["uid"].endswith("-b2c_1_ropc")
    wrong = web.post(ropc, data=dict(form, password="nope"))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert wrong.json()["error_description"].startswith("AADB2C90225: ")
    susi = discover(web, emulator.b2c_authority())["token_endpoint"]
    refused = web.post(susi, data=form).json()
    assert refused["error"] == "unsupported_grant_type"
    assert refused["error_description"].startswith("AADB2C90086: ")


def test_b2c_refuses_apps_and_users_of_other_tenants(emulator, web):
    with pytest.raises(SignInError, match="AADB2C90018"):
        b2c_code(emulator, web, app="public")
    with pytest.raises(SignInError, match="does not exist in tenant"):
        b2c_code(emulator, web, user=("alice@contoso.example", "Alice-Passw0rd!"))


def test_b2c_confidential_app_secret_is_checked(emulator, web):
    params, verifier, token_endpoint = b2c_code(emulator, web, app="b2c-web-app")
    bad = redeem(
        emulator, web, params["code"], verifier, token_endpoint, app="b2c-web-app", client_secret="wrong"
    )
    assert bad.status_code == 401
    assert bad.json()["error_description"].startswith("AADB2C90081: ")
    params, verifier, token_endpoint = b2c_code(emulator, web, app="b2c-web-app")
    good = redeem(
        emulator,
        web,
        params["code"],
        verifier,
        token_endpoint,
        app="b2c-web-app",
        client_secret=emulator.client_credential("b2c-web-app"),
    )
    assert claims(good.json()["id_token"])["aud"] == emulator.app("b2c-web-app")["client_id"]


def test_ciam_is_entra_shaped_with_a_tenant_host_issuer(emulator, web):
    doc = discover(web, emulator.ciam_authority())
    issuer = "https://%s.ciamlogin.com/%s/v2.0" % (CIAM_TENANT, CIAM_TENANT)
    assert doc["issuer"] == issuer
    assert doc["token_endpoint"] == "https://contosociam.ciamlogin.com/%s/oauth2/v2.0/token" % CIAM_TENANT
    verifier, challenge = pkce_pair()
    params = {
        "client_id": emulator.app("ciam-public")["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "User.Read openid offline_access",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "client_info": "1",
    }
    code = auth_response(
        Browser(emulator).sign_in(doc["authorization_endpoint"] + "?" + urlencode(params), *ERIN)
    )["code"]
    body = web.post(
        doc["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "client_id": params["client_id"],
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_info": "1",
            "scope": params["scope"],
        },
    ).json()
    idt = claims(body["id_token"])
    assert idt["iss"] == issuer and idt["tid"] == CIAM_TENANT
    assert idt["preferred_username"] == ERIN[0]
    assert decoded_client_info(body["client_info"]) == {
        "uid": emulator.user("erin")["oid"],
        "utid": CIAM_TENANT,
    }


def test_http_client_serves_only_the_declared_tenant_hosts(emulator, web):
    assert discover(web, emulator.ciam_authority())["issuer"]
    for url in (
        "https://fabrikamb2c.b2clogin.com/fabrikamb2c.onmicrosoft.com/B2C_1_x",
        "https://other.ciamlogin.com/other.onmicrosoft.com",
    ):
        with pytest.raises(requests.ConnectionError, match="not served by the emulator"):
            web.get(url + "/v2.0/.well-known/openid-configuration")


def test_a_config_without_tenant_hosts_serves_none():
    with Emulator(
        config={
            "builtin": False,
            "tenants": [{"id": "00000000-0000-0000-0000-0000000000aa", "domain": "solo.example"}],
        }
    ) as emu:
        assert emu.directory.tenant_hosts == frozenset()
        with pytest.raises(KeyError):
            emu.b2c_authority()
