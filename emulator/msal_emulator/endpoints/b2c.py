"""Azure AD B2C: a user flow's discovery document and keys, and its token endpoint.

B2C paths name the tenant and the user flow (policy): `/<tenant>/<policy>/...`. The sign-in
pages are the shared ones (authorize.py), the grants those of grants/; tokens are shaped in
issue.py. Errors carry AADB2C codes: the generic grant code raises Entra's errors, and
`as_b2c` translates the ones a B2C client can meet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Tuple

from .. import errors
from ..http import Handler, Request, Response, json_response
from ..tokens import b2c_issuer
from .clients import authenticate_client
from .common import PolicyRef, resolve_policy
from .grants import Grant

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

_EXPIRED = ("invalid_grant", 90080, "The provided grant has expired. Please re-authenticate and try again.")
_BAD_CREDENTIALS = ("invalid_grant", 90225, "The username or password provided in the request are invalid.")
_BAD_SCOPE = ("invalid_scope", 90117, "The scope provided in the request is not supported.")
_BAD_VERIFIER = ("invalid_grant", 90183, "The supplied code_verifier is invalid.")

# Entra code -> (error, AADB2C code, text) for the failures B2C reports in its own words.
_B2C_EQUIVALENTS: Dict[int, Tuple[str, int, str]] = {
    50126: _BAD_CREDENTIALS,
    50034: _BAD_CREDENTIALS,
    70011: _BAD_SCOPE,
    28000: _BAD_SCOPE,
    50148: _BAD_VERIFIER,
    501481: _BAD_VERIFIER,
    54005: _EXPIRED,
    70008: _EXPIRED,
    700082: _EXPIRED,
    9002313: _EXPIRED,
    7000215: (
        "invalid_client",
        90081,
        "The specified client_secret does not match the expected value for this client.",
    ),
    7000218: (
        "invalid_request",
        90079,
        "Clients must send a client_secret when redeeming a confidential grant.",
    ),
    500112: (
        "invalid_grant",
        90006,
        "The redirect URI provided in the request is not registered for the client id.",
    ),
    50173: (
        "invalid_grant",
        90129,
        "The provided grant has been revoked. Please reauthenticate and try again.",
    ),
}


def as_b2c(exc: errors.EntraError) -> errors.EntraError:
    """The B2C form of an error the shared grant code raised (others are left as they are)."""
    if isinstance(exc, errors.B2CError) or exc.code not in _B2C_EQUIVALENTS:
        return exc
    error, code, text = _B2C_EQUIVALENTS[exc.code]
    return errors.B2CError(error, code, text, status=exc.status)


def openid_configuration(emu: "Emulator", req: Request, tenant: str, policy: str) -> Response:
    """A user flow's discovery document; B2C spells the policy in lower case in its URLs."""
    ref = resolve_policy(emu.directory, tenant, policy)
    base = "%s/%s/%s" % (req.base_url, ref.path.lower(), ref.policy.lower())
    return json_response(
        {
            "issuer": b2c_issuer(req.host, ref.tenant["id"]),
            "authorization_endpoint": base + "/oauth2/v2.0/authorize",
            "token_endpoint": base + "/oauth2/v2.0/token",
            "end_session_endpoint": base + "/oauth2/v2.0/logout",
            "jwks_uri": base + "/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": [
                "code",
                "code id_token",
                "code token",
                "code id_token token",
                "id_token",
                "id_token token",
                "token",
                "token id_token",
            ],
            "scopes_supported": ["openid"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": [
                "name",
                "emails",
                "oid",
                "sub",
                "tfp",
                "iss",
                "iat",
                "exp",
                "aud",
                "acr",
                "nonce",
                "auth_time",
            ],
        }
    )


def jwks(emu: "Emulator", req: Request, tenant: str, policy: str) -> Response:
    ref = resolve_policy(emu.directory, tenant, policy)
    return json_response({"keys": [emu.signing_key.jwk(b2c_issuer(req.host, ref.tenant["id"]))]})


def token_endpoint(grants: Dict[str, Grant]) -> Handler:
    """A user flow's token route: auth code, refresh token, and password on ROPC flows."""

    def token(emu: "Emulator", req: Request, tenant: str, policy: str) -> Response:
        try:
            ref = resolve_policy(emu.directory, tenant, policy)
            grant = _grant(emu, ref, grants, req.form.get("grant_type", ""))
            client = authenticate_client(emu, req, ref)
            if client.app["tenant"] != ref.tenant["id"]:
                raise errors.B2CError(
                    "invalid_client",
                    90018,
                    "The client id '%s' specified in the request is not "
                    "registered in tenant '%s'." % (client.app["client_id"], ref.path),
                    status=401,
                )
            return json_response(grant(emu, req, ref, client))
        except errors.EntraError as exc:
            raise as_b2c(exc)

    return token


def _grant(emu: "Emulator", ref: PolicyRef, grants: Dict[str, Grant], grant_type: str) -> Grant:
    """The grant of a user flow: `password` only where the flow allows it (ROPC)."""
    flow = emu.directory.policy(ref.tenant, ref.policy) or {}
    if grant_type not in grants or (grant_type == "password" and not flow.get("password_grant")):
        raise errors.B2CError(
            "unsupported_grant_type", 90086, "The supplied grant_type [%s] is not supported." % grant_type
        )
    return grants[grant_type]
