"""Pure protocol helpers: scopes, claims, PKCE, ID token checks, client assertions."""

import base64
import datetime
import hashlib
import json
import time

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from msal._entra import claims, scopes
from msal.exceptions import IdTokenError
from msal.oauth2cli import client_auth, oidc, pkce
from msal.oauth2cli.oauth2 import build_token_form, parse_token_response


def test_reserved_scopes_are_added_and_refused_from_callers():
    assert scopes.for_user_flow(["User.Read"]) == ["User.Read", "offline_access", "openid", "profile"]
    assert scopes.for_user_flow(["User.Read"], ["offline_access"]) == ["User.Read", "openid", "profile"]
    with pytest.raises(ValueError, match="reserved"):
        scopes.for_user_flow(["openid", "User.Read"])
    with pytest.raises(ValueError, match="openid"):
        scopes.check_exclusions(["openid"])
    with pytest.raises(ValueError, match="list"):
        scopes.validate("User.Read")
    with pytest.raises(TypeError, match="strings"):
        scopes.validate([1])
    with pytest.raises(ValueError, match="required"):
        scopes.validate(None)


def test_claims_merge_capabilities_with_a_challenge():
    caps = claims.capabilities_claims(["CP1"])
    merged = json.loads(claims.merge(caps, '{"access_token": {"nbf": {"essential": true}}}'))
    assert merged == {"access_token": {"xms_cc": {"values": ["CP1"]}, "nbf": {"essential": True}}}
    assert claims.merge(None, None) is None
    assert json.loads(claims.merge(caps, None)) == caps
    with pytest.raises(ValueError, match="not valid JSON"):
        claims.merge(caps, "{not json")
    with pytest.raises(ValueError, match="list"):
        claims.capabilities_claims("CP1")


def test_pkce_s256_matches_rfc7636_appendix_b():
    assert (
        pkce.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    verifier, challenge = pkce.new_verifier_and_challenge()
    assert 43 <= len(verifier) <= 128 and pkce.s256(verifier) == challenge


def _id_token(**claims_):
    return jwt.encode(claims_, "secret-for-tests-only-0123456789abcdef", algorithm="HS256")


def test_id_token_checks():
    now = time.time()
    good = dict(
        aud="client",
        iss="https://login.microsoftonline.com/tid/v2.0",
        tid="tid",
        exp=now + 3600,
        nbf=now - 10,
        nonce="n1",
        auth_time=now - 60,
    )
    claims_ = oidc.decode_id_token(_id_token(**good))
    oidc.validate_id_token(
        claims_,
        client_id="client",
        nonce="n1",
        max_age=120,
        now=now,
        issuer="https://login.microsoftonline.com/{tenantid}/v2.0",
    )
    for change, message in [
        (dict(aud="other"), "audience"),
        (dict(exp=now - 3600), "expired"),
        (dict(nbf=now + 3600), "not valid yet"),
        (dict(nonce="n2"), "nonce"),
        (dict(iss="https://evil.example/tid/v2.0"), "issuer"),
        (dict(auth_time=now - 3600), "max_age"),
    ]:
        bad = oidc.decode_id_token(_id_token(**dict(good, **change)))
        with pytest.raises(IdTokenError, match=message):
            oidc.validate_id_token(
                bad,
                client_id="client",
                nonce="n1",
                max_age=120,
                now=now,
                issuer="https://login.microsoftonline.com/{tenantid}/v2.0",
            )
    with pytest.raises(IdTokenError):
        oidc.decode_id_token("not-a-jwt")
    assert issubclass(IdTokenError, ValueError)


def _certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test app")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2040, 1, 1))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def test_private_key_jwt_assertion():
    key, cert = _certificate()
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    ).decode()
    pem_cert = cert.public_bytes(serialization.Encoding.PEM).decode()
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()
    auth = client_auth.PrivateKeyJwtAuth(
        "cid",
        pem_key,
        thumbprint,
        public_certificate=pem_cert,
        passphrase="pass",
        extra_claims={"client_ip": "1.2.3.4"},
    )
    form = {}
    auth.apply(form, "https://login.example/t/oauth2/v2.0/token")
    assert form["client_assertion_type"] == client_auth.ASSERTION_TYPE
    header = jwt.get_unverified_header(form["client_assertion"])
    der = cert.public_bytes(serialization.Encoding.DER)
    assert header["alg"] == "RS256"
    assert header["x5t"] == base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode()
    assert base64.b64decode(header["x5c"][0]) == der
    claims_ = jwt.decode(
        form["client_assertion"],
        key.public_key(),
        algorithms=["RS256"],
        audience="https://login.example/t/oauth2/v2.0/token",
    )
    assert claims_["iss"] == claims_["sub"] == "cid" and claims_["client_ip"] == "1.2.3.4"
    assert 590 <= claims_["exp"] - claims_["iat"] <= 610
    again = {}
    auth.apply(again, "https://login.example/t/oauth2/v2.0/token")
    assert jwt.decode(again["client_assertion"], options={"verify_signature": False})["jti"] != claims_["jti"]
    assert "BEGIN" not in repr(auth)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(passphrase=None), "encrypted"),
        (dict(passphrase="wrong"), "passphrase is wrong"),
    ],
)
def test_private_key_errors_say_what_is_wrong(kwargs, message):
    key, cert = _certificate()
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    ).decode()
    with pytest.raises(ValueError, match=message):
        client_auth.PrivateKeyJwtAuth("cid", pem_key, "A" * 40, **kwargs)
    with pytest.raises(ValueError, match="thumbprint"):
        client_auth.PrivateKeyJwtAuth("cid", pem_key, "not-hex", passphrase="pass")


def test_token_form_drops_empty_values():
    form = build_token_form("cid", "refresh_token", {"claims": None, "x": "", "y": "1"}, ["a", "b"])
    assert form == {"client_id": "cid", "grant_type": "refresh_token", "scope": "a b", "y": "1"}


class _Resp(object):
    def __init__(self, status_code, text):
        self.status_code, self.text, self.headers = status_code, text, {}


def test_non_json_answers_become_error_dicts():
    assert parse_token_response(_Resp(502, "<html>Bad gateway</html>"))["error"] == "invalid_response"
    assert parse_token_response(_Resp(200, "[1, 2]"))["error"] == "invalid_response"
    assert parse_token_response(_Resp(500, "{}"))["error"] == "http_error"
    assert parse_token_response(_Resp(400, '{"error": "invalid_grant"}')) == {"error": "invalid_grant"}
