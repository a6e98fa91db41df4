import base64
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emu_helpers import GRAPH, client_assertion

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _secret_form(emu, name="confidential-secret", **extra):
    app = emu.app(name)
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app.get("client_secret"),
        "scope": GRAPH_DEFAULT,
        "client_info": "1",
    }
    form.update(extra)
    return form


def _cert_form(emu, assertion, **extra):
    form = {
        "grant_type": "client_credentials",
        "client_id": emu.app("confidential-cert")["client_id"],
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": GRAPH_DEFAULT,
    }
    form.update(extra)
    return form


def _assert_error(resp, status, error, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith("AADSTS%d:" % code)


def test_secret_gives_app_token(emulator, http):
    resp = http.token(_secret_form(emulator))
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["ext_expires_in"] == 3599
    assert not {"refresh_token", "id_token", "client_info"} & set(body)
    app = emulator.app("confidential-secret")
    claims = http.claims(body["access_token"])
    assert claims["aud"] == GRAPH
    assert claims["azp"] == app["client_id"] == claims["appid"]
    assert claims["idtyp"] == "app" and claims["azpacr"] == "1"
    assert claims["oid"] == app["service_principal_oid"] == claims["sub"]
    assert claims["tid"] == emulator.tenant_id
    assert claims["roles"] == ["User.Read.All"]
    assert claims["iss"] == emulator.authority() + "/v2.0"


def test_web_api_default_scope_audience(emulator, http):
    api = emulator.app("web-api")
    resp = http.token(_secret_form(emulator, scope=api["app_id_uri"] + "/.default"))
    claims = http.claims(resp.json()["access_token"])
    assert claims["aud"] == api["app_id_uri"]
    assert claims["roles"] == ["Data.Read.All"]


def test_wrong_secret(emulator, http):
    _assert_error(http.token(_secret_form(emulator, client_secret="nope")), 401, "invalid_client", 7000215)


def test_missing_credentials(emulator, http):
    form = _secret_form(emulator)
    del form["client_secret"]
    _assert_error(http.token(form), 401, "invalid_client", 7000218)


def test_public_client_cannot_use_client_credentials(emulator, http):
    form = _secret_form(emulator, "public")
    del form["client_secret"]
    _assert_error(http.token(form), 401, "invalid_client", 7000218)


def test_unknown_client(emulator, http):
    _assert_error(
        http.token(_secret_form(emulator, client_id="00000000-0000-0000-0000-000000000001")),
        400,
        "unauthorized_client",
        700016,
    )


@pytest.mark.parametrize(
    "scope", ["User.Read", GRAPH_DEFAULT + " api://x/.default", "https://graph.microsoft.com/User.Read"]
)
def test_scope_must_be_one_default(emulator, http, scope):
    _assert_error(http.token(_secret_form(emulator, scope=scope)), 400, "invalid_scope", 1002012)


def test_unknown_resource_scope(emulator, http):
    _assert_error(
        http.token(_secret_form(emulator, scope="api://unknown/.default")), 400, "invalid_scope", 70011
    )


def test_assertion_with_x5t(emulator, http):
    resp = http.token(_cert_form(emulator, client_assertion(emulator)))
    assert resp.status_code == 200, resp.text
    claims = http.claims(resp.json()["access_token"])
    assert claims["azpacr"] == "2"
    assert claims["azp"] == emulator.app("confidential-cert")["client_id"]


def test_assertion_x5t_without_padding_and_domain_audience(emulator, http):
    cred = emulator.client_credential("confidential-cert")
    x5t = base64.urlsafe_b64encode(bytes.fromhex(cred["thumbprint"])).decode().rstrip("=")
    assertion = client_assertion(
        emulator, header={"x5t": x5t}, aud=emulator.token_endpoint(emulator.tenant_domain)
    )
    assert http.token(_cert_form(emulator, assertion)).status_code == 200


def test_assertion_with_x5c(emulator, http):
    pem = emulator.client_credential("confidential-cert")["public_certificate"]
    body = "".join(pem.strip().splitlines()[1:-1])
    assertion = client_assertion(emulator, header={"x5c": [body]})
    assert http.token(_cert_form(emulator, assertion)).status_code == 200


def test_assertion_wrong_thumbprint(emulator, http):
    assertion = client_assertion(emulator, header={"x5t": base64.urlsafe_b64encode(b"\x01" * 20).decode()})
    _assert_error(http.token(_cert_form(emulator, assertion)), 401, "invalid_client", 700027)


def test_assertion_signed_by_another_key(emulator, http):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _assert_error(
        http.token(_cert_form(emulator, client_assertion(emulator, key=other))), 401, "invalid_client", 700027
    )


def test_assertion_wrong_audience(emulator, http):
    assertion = client_assertion(emulator, aud="https://login.microsoftonline.com/other/oauth2/v2.0/token")
    _assert_error(http.token(_cert_form(emulator, assertion)), 401, "invalid_client", 50012)


def test_assertion_expired(emulator, http):
    assertion = client_assertion(emulator, claims={"exp": int(time.time()) - 60})
    _assert_error(http.token(_cert_form(emulator, assertion)), 401, "invalid_client", 700024)


def test_assertion_not_yet_valid(emulator, http):
    assertion = client_assertion(emulator, claims={"nbf": int(time.time()) + 600})
    _assert_error(http.token(_cert_form(emulator, assertion)), 401, "invalid_client", 700024)


def test_assertion_replayed(emulator, http):
    assertion = client_assertion(emulator)
    assert http.token(_cert_form(emulator, assertion)).status_code == 200
    _assert_error(http.token(_cert_form(emulator, assertion)), 401, "invalid_client", 700023)


def test_assertion_issuer_must_be_client(emulator, http):
    assertion = client_assertion(emulator, claims={"iss": "someone-else"})
    _assert_error(http.token(_cert_form(emulator, assertion)), 401, "invalid_client", 700021)


def test_assertion_for_secret_app_without_certificate(emulator, http):
    form = _cert_form(
        emulator, client_assertion(emulator), client_id=emulator.app("confidential-secret")["client_id"]
    )
    _assert_error(http.token(form), 401, "invalid_client", 700027)


def test_client_credential_shapes(emulator):
    cert = emulator.client_credential("confidential-cert")
    assert set(cert) == {"private_key", "thumbprint", "public_certificate"}
    assert len(cert["thumbprint"]) == 40 and cert["thumbprint"] == cert["thumbprint"].upper()
    assert cert["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert cert["public_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert (
        emulator.client_credential("confidential-secret")
        == emulator.app("confidential-secret")["client_secret"]
    )
    assert emulator.client_credential("public") is None
    assert emulator.app("web-api")["app_id_uri"] == "api://" + emulator.app("web-api")["client_id"]


def test_regional_token_endpoint_through_http_client(emulator):
    """A regional host answers, and an assertion naming the global endpoint is accepted."""
    session = emulator.http_client()
    aud = "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % emulator.tenant_id
    resp = session.post(
        "https://westus.login.microsoft.com/%s/oauth2/v2.0/token" % emulator.tenant_id,
        data=_cert_form(emulator, client_assertion(emulator, aud=aud)),
    )
    assert resp.status_code == 200, resp.text
    claims = jwt.decode(resp.json()["access_token"], options={"verify_signature": False})
    assert claims["iss"] == "https://westus.login.microsoft.com/%s/v2.0" % emulator.tenant_id
