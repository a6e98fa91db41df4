import jwt
import pytest
import requests

from emu_helpers import GRAPH


def test_openid_configuration_for_tenant_guid(emulator, http):
    doc = http.get(emulator.authority() + "/v2.0/.well-known/openid-configuration").json()
    base = emulator.authority()
    assert doc["issuer"] == base + "/v2.0"
    assert doc["token_endpoint"] == base + "/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == base + "/oauth2/v2.0/authorize"
    assert doc["device_authorization_endpoint"] == base + "/oauth2/v2.0/devicecode"
    assert doc["jwks_uri"] == base + "/discovery/v2.0/keys"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "form_post" in doc["response_modes_supported"]
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]


def test_domain_tenant_endpoints_carry_the_guid(emulator, http):
    doc = http.get(
        emulator.authority(emulator.tenant_domain) + "/v2.0/.well-known/openid-configuration"
    ).json()
    assert doc["token_endpoint"] == emulator.authority() + "/oauth2/v2.0/token"


@pytest.mark.parametrize("tenant", ["common", "organizations"])
def test_meta_tenant_keeps_the_word_and_a_template_issuer(emulator, http, tenant):
    doc = http.get(emulator.authority(tenant) + "/v2.0/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == "%s/%s/oauth2/v2.0/token" % (emulator.base_url, tenant)
    assert doc["issuer"] == emulator.base_url + "/{tenantid}/v2.0"


def test_unknown_tenant_is_an_entra_error(emulator, http):
    resp = http.get(emulator.authority("nobody.example") + "/v2.0/.well-known/openid-configuration")
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert "nobody.example" in body["error_description"]


def _instance(http, base, endpoint):
    return http.get(
        base + "/common/discovery/instance", params={"api-version": "1.1", "authorization_endpoint": endpoint}
    )


def test_instance_discovery_known_host(emulator, http):
    resp = _instance(
        http, emulator.base_url, "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize"
    )
    body = resp.json()
    assert resp.status_code == 200
    assert body["tenant_discovery_endpoint"] == (
        "https://login.microsoftonline.com/contoso.example/v2.0/.well-known/openid-configuration"
    )
    public = next(m for m in body["metadata"] if m["preferred_network"] == "login.microsoftonline.com")
    assert public["preferred_cache"] == "login.windows.net"
    assert set(public["aliases"]) == {
        "login.microsoftonline.com",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    }
    assert any("login.chinacloudapi.cn" in m["aliases"] for m in body["metadata"])
    assert any("login.microsoftonline.us" in m["aliases"] for m in body["metadata"])
    assert any("localhost" in m["aliases"] for m in body["metadata"])


def test_instance_discovery_unknown_host(emulator, http):
    resp = _instance(http, emulator.base_url, "https://login.evil.example/common/oauth2/v2.0/authorize")
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"] == "invalid_instance"
    assert body["error_description"].startswith("AADSTS50049: Unknown or invalid instance.")
    assert body["error_codes"] == [50049]


def test_http_client_reaches_emulator_as_microsoft_hosts(emulator_requests):
    emu = emulator_requests
    session = emu.http_client()
    resp = _instance(
        session,
        "https://login.microsoftonline.com",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    )
    assert resp.json()["tenant_discovery_endpoint"].startswith("https://login.microsoftonline.com/common/")
    doc = session.get(
        "https://login.microsoftonline.com/%s/v2.0/.well-known/openid-configuration" % emu.tenant_id
    ).json()
    assert doc["issuer"] == "https://login.microsoftonline.com/%s/v2.0" % emu.tenant_id
    regional = session.get(
        "https://westus.login.microsoft.com/common/v2.0/.well-known/openid-configuration"
    ).json()
    assert regional["token_endpoint"] == "https://westus.login.microsoft.com/common/oauth2/v2.0/token"
    assert [r["host"] for r in emu.requests] == [
        "login.microsoftonline.com",
        "login.microsoftonline.com",
        "westus.login.microsoft.com",
    ]


def test_http_client_stays_offline_for_other_hosts(emulator):
    with pytest.raises(requests.ConnectionError):
        emulator.http_client().get("https://example.com/")


def test_http_client_trusts_emulator_ca_despite_environment(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    resp = emulator.http_client().get(emulator.authority() + "/discovery/v2.0/keys")
    assert resp.status_code == 200


def test_jwks_verifies_a_minted_token(emulator, http):
    app = emulator.app("confidential-secret")
    token = http.token(
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "https://graph.microsoft.com/.default",
        }
    ).json()["access_token"]
    keys = http.get(emulator.authority() + "/discovery/v2.0/keys").json()["keys"]
    header = jwt.get_unverified_header(token)
    jwk = next(k for k in keys if k["kid"] == header["kid"])
    assert jwk["kty"] == "RSA" and jwk["x5t"] == header["kid"] and jwk["x5c"] and jwk["e"]
    claims = jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=GRAPH, issuer=emulator.authority() + "/v2.0"
    )
    assert claims["azp"] == app["client_id"]
    other_key = jwt.PyJWK(dict(jwk, n=keys[0]["n"][:-4] + "AAAA")).key
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other_key, algorithms=["RS256"], audience=GRAPH)
