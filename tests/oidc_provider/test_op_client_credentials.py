"""Client credentials against node-oidc-provider: a secret, a certificate (x5t and x5c)."""

import jwt

SCOPES = ["api://demo/.default"]


def claims_of(access_token):
    return jwt.decode(access_token, options={"verify_signature": False})


def test_secret_gets_a_token_then_serves_it_from_the_cache(oidc_provider, op_app):
    app = op_app("secret")
    first = app.acquire_token_for_client(SCOPES)
    assert first.get("token_source") == "identity_provider", first
    claims = claims_of(first["access_token"])
    assert claims["aud"] == "api://demo" and claims["client_id"] == "daemon-secret"
    assert claims["iss"] == oidc_provider.authority + "/v2.0"

    second = app.acquire_token_for_client(SCOPES)
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    cached = app.token_cache.find(app.token_cache.CredentialType.ACCESS_TOKEN)
    assert [(c["client_id"], c["realm"], c["environment"]) for c in cached] == [
        ("daemon-secret", "tenant1", "localhost")
    ]
    assert app.get_accounts() == []


def test_certificate_with_x5t(oidc_provider, op_app):
    app = op_app("certificate", client_credential=oidc_provider.certificate_credential())
    result = app.acquire_token_for_client(SCOPES)
    assert "access_token" in result, result
    assert claims_of(result["access_token"])["client_id"] == "daemon-certificate"


def test_certificate_with_x5c(oidc_provider, op_app):
    credential = oidc_provider.certificate_credential(public_certificate=oidc_provider.client_cert.cert_pem)
    app = op_app("certificate", client_credential=credential)
    result = app.acquire_token_for_client(SCOPES)
    assert "access_token" in result, result


def test_wrong_secret_is_invalid_client(op_app):
    app = op_app("secret", client_credential="not-the-secret")
    result = app.acquire_token_for_client(SCOPES)
    assert result.get("error") == "invalid_client", result
    assert "access_token" not in result
    assert app.token_cache.find(app.token_cache.CredentialType.ACCESS_TOKEN) == []


def test_thumbprint_of_another_certificate_is_invalid_client(oidc_provider, op_app):
    """The signature verifies (same key as test_certificate_with_x5t), but x5t names a
    certificate the client never registered: only the server's x5t check rejects it."""
    credential = dict(
        private_key=oidc_provider.client_cert.key_pem, thumbprint=oidc_provider.other_cert.thumbprint
    )
    result = op_app("certificate", client_credential=credential).acquire_token_for_client(SCOPES)
    assert result.get("error") == "invalid_client", result
    assert "access_token" not in result
