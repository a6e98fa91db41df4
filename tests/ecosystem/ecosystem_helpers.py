"""What the azure-identity and msal-extensions tests share: credential options that reach the
emulator, and token checks against the emulator's own signing keys."""

import jwt
import requests

GRAPH = "00000003-0000-0000-c000-000000000000"
# The client id azure-identity uses by default for user sign-in (Azure CLI's, a FOCI member).
DEVELOPER_SIGN_ON_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def azure_options(emu, **extra):
    """Keyword arguments that point an azure-identity credential at the emulator, through its
    documented options only (``connection_verify`` reaches azure-core's requests transport per
    request, so REQUESTS_CA_BUNDLE cannot override it)."""
    options = dict(authority=emu.base_url, disable_instance_discovery=True, connection_verify=emu.ca_path)
    options.update(extra)
    return options


def emulator_transport(emu):
    """An azure-core transport that reaches the emulator as login.microsoftonline.com."""
    from azure.core.pipeline.transport import RequestsTransport

    return RequestsTransport(session=emu.http_client(), session_owner=False)


def verified_claims(emu, token, audience=None):
    """The claims of a token the emulator signed (checked with its published keys); raises
    otherwise. The audience is checked when given."""
    session = requests.Session()
    session.verify = emu.ca_path
    config = session.get(
        emu.authority() + "/v2.0/.well-known/openid-configuration", verify=emu.ca_path, timeout=10
    ).json()
    keys = session.get(config["jwks_uri"], verify=emu.ca_path, timeout=10).json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid)).key
    return jwt.decode(
        token, key, algorithms=["RS256"], audience=audience, options={"verify_aud": audience is not None}
    )


def sign_in(app, user):
    """Sign ``user`` in with the password grant; the result, checked to hold a token."""
    result = app.acquire_token_by_username_password(user["username"], user["password"], ["User.Read"])
    assert "access_token" in result, result
    return result
