"""azure-identity's service-principal credentials on top of this msal, against the emulator."""

import jwt
import pytest

from ecosystem_helpers import GRAPH, azure_options, verified_claims
from support.wire import token_posts
from support.apps import GRAPH_DEFAULT

identity = pytest.importorskip("azure.identity")
from azure.core.exceptions import ClientAuthenticationError  # noqa: E402


def test_client_secret_credential_then_its_cache(emu):
    app = emu.app("confidential-secret")
    credential = identity.ClientSecretCredential(
        emu.tenant_id, app["client_id"], emu.client_credential("confidential-secret"), **azure_options(emu)
    )
    first = credential.get_token(GRAPH_DEFAULT)
    second = credential.get_token(GRAPH_DEFAULT)
    claims = verified_claims(emu, first.token, audience=GRAPH)
    assert claims["appid"] == app["client_id"] and claims["tid"] == emu.tenant_id
    assert claims["idtyp"] == "app"
    assert second.token == first.token
    (post,) = token_posts(emu)
    assert post["form"]["grant_type"] == "client_credentials"
    assert post["form"]["client_secret"] == emu.client_credential("confidential-secret")
    assert post["headers"]["x-client-sku"] == "MSAL.Python"


def test_certificate_credential_signs_with_the_pem_file(emu, tmp_path):
    app = emu.app("confidential-cert")
    cert = emu.client_credential("confidential-cert")
    pem = tmp_path / "app.pem"
    pem.write_text(cert["private_key"] + "\n" + cert["public_certificate"] + "\n")
    credential = identity.CertificateCredential(
        emu.tenant_id, app["client_id"], str(pem), send_certificate_chain=True, **azure_options(emu)
    )
    token = credential.get_token(GRAPH_DEFAULT)
    assert credential.get_token(GRAPH_DEFAULT).token == token.token
    assert verified_claims(emu, token.token)["appid"] == app["client_id"]
    (post,) = token_posts(emu, "client_credentials")
    assert "client_secret" not in post["form"]
    header = jwt.get_unverified_header(post["form"]["client_assertion"])
    assert header["x5c"], "send_certificate_chain=True reaches msal as public_certificate"
    assert post["form"]["client_assertion_type"].endswith(":jwt-bearer")


def test_on_behalf_of_credential_exchanges_the_user_assertion(emu, alice):
    api = emu.app("web-api")
    incoming = emu.issue_token(user=alice["username"])  # what the web API was called with
    credential = identity.OnBehalfOfCredential(
        emu.tenant_id,
        api["client_id"],
        client_secret=emu.client_credential("web-api"),
        user_assertion=incoming,
        **azure_options(emu),
    )
    token = credential.get_token("https://graph.microsoft.com/User.Read")
    assert credential.get_token("https://graph.microsoft.com/User.Read").token == token.token
    claims = verified_claims(emu, token.token, audience=GRAPH)
    assert claims["preferred_username"] == alice["username"] and claims["scp"] == "User.Read"
    assert claims["azp"] == api["client_id"]
    (post,) = token_posts(emu)
    assert post["form"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert post["form"]["assertion"] == incoming


def test_a_rejected_secret_reaches_the_caller_as_azure_core_error(emu):
    app = emu.app("confidential-secret")
    credential = identity.ClientSecretCredential(
        emu.tenant_id, app["client_id"], "not-the-secret", **azure_options(emu)
    )
    with pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(GRAPH_DEFAULT)
    assert "AADSTS7000215" in raised.value.message
    assert len(token_posts(emu, "client_credentials")) == 1
