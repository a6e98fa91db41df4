"""The token endpoint: one function per grant type (client authentication is in clients.py)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

import jwt

from .. import certs, errors
from ..http import Request, Response, json_response
from ..store import REFRESH_TOKEN_LIFETIME, CODE_LIFETIME
from ..tokens import EXPIRES_IN, app_access_token_claims
from . import device, federation, password
from .clients import Client, authenticate_client
from .common import TenantRef, parse_scopes, resolve_tenant
from .issue import find_user as _user, user_tokens, with_refresh_in

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def token(emu: "Emulator", req: Request, tenant: str) -> Response:
    ref = resolve_tenant(emu.directory, tenant)
    grant_type = req.form.get("grant_type", "")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise errors.EntraError(
            "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'." % grant_type
        )
    client = authenticate_client(emu, req, ref)
    return json_response(grant(emu, req, ref, client))


# ---- grants ------------------------------------------------------------------------------


def client_credentials(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    if not client.confidential:
        raise errors.invalid_client(
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            7000218,
        )
    items = req.form.get("scope", "").split()
    if len(items) != 1 or not items[0].endswith("/.default"):
        raise errors.invalid_scope(
            "The provided value for scope %s is not valid. Client credential flows must have a "
            "scope value with /.default suffixed to the resource identifier (application ID URI)."
            % " ".join(items),
            code=1002012,
        )
    scopes = parse_scopes(emu.directory, items[0])
    tid = ref.tenant["id"] if ref.tenant else client.app["tenant"]
    access = emu.signing_key.sign(
        app_access_token_claims(
            host=req.host,
            tid=tid,
            app=client.app,
            audience=scopes.audience,
            roles=(scopes.resource or {}).get("app_roles", []),
            now=emu.clock(),
            azpacr=client.azpacr,
        )
    )
    return with_refresh_in(
        emu,
        {
            "token_type": "Bearer",
            "expires_in": EXPIRES_IN,
            "ext_expires_in": EXPIRES_IN,
            "access_token": access,
        },
    )


def _s256(verifier: str) -> str:
    return certs.b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())


def authorization_code(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    value = req.form.get("code")
    if not value:
        raise errors.invalid_request("The request body must contain the following parameter: 'code'.")
    code = emu.store.redeem_code(value)
    now = emu.clock()
    if code is None:
        raise errors.invalid_grant("The provided value for the 'code' parameter is not valid.", 70000)
    if code.redeemed:
        raise errors.invalid_grant(
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token.",
            54005,
        )
    if now - code.issued_at > CODE_LIFETIME:
        raise errors.invalid_grant(
            "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource.",
            70008,
        )
    if code.client_id != client.app["client_id"]:
        raise errors.invalid_grant("The code was issued to a different client.", 70000)
    if code.policy != ref.policy:
        raise _other_endpoint(code.policy, ref.policy)
    if req.form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
        raise errors.invalid_grant(
            "The reply address '%s' does not match the reply address '%s' provided when "
            "requesting Authorization code." % (req.form.get("redirect_uri"), code.redirect_uri),
            500112,
        )
    _check_pkce(code.code_challenge, req.form.get("code_verifier"))
    scopes = parse_scopes(emu.directory, req.form.get("scope") or code.scope)
    return user_tokens(
        emu,
        req,
        client.app,
        _user(emu, code.user_oid),
        code.tenant_id,
        scopes,
        auth_time=code.auth_time,
        nonce=code.nonce,
        with_auth_time=code.max_age is not None,
        adfs=ref.adfs,
        policy=ref.policy,
    )


def _other_endpoint(issued_by: Optional[str], asked: Optional[str]) -> errors.EntraError:
    """B2C codes and refresh tokens are bound to the user flow that issued them."""
    return errors.B2CError(
        "invalid_grant",
        90088,
        "The provided grant has not been issued for this endpoint. "
        "Actual Value : %s and Expected Value : %s" % (asked, issued_by),
    )


def _check_pkce(challenge: Optional[str], verifier: Optional[str]) -> None:
    if not challenge:
        return
    if not verifier:
        raise errors.invalid_grant(
            "The request body must contain the following parameter: 'code_verifier'.", 50148
        )
    if not hmac.compare_digest(_s256(verifier), challenge):
        raise errors.invalid_grant(
            "The code_verifier does not match the code_challenge supplied in the authorization "
            "request for PKCE.",
            501481,
        )


def refresh_token(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    value = req.form.get("refresh_token")
    if not value:
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'refresh_token'."
        )
    grant = emu.store.refresh_grant(value)
    now = emu.clock()
    if grant is not None and ref.policy and grant.policy != ref.policy:
        raise _other_endpoint(grant.policy, ref.policy)
    if grant is None or grant.adfs != ref.adfs or grant.policy != ref.policy:
        raise errors.invalid_grant("Invalid request. Request is malformed or invalid.", 9002313)
    if grant.revoked:
        raise errors.invalid_grant(
            "The provided grant has expired due to it being revoked, a fresh auth token is "
            "needed. The user might have changed or reset their password.",
            50173,
        )
    if now - grant.issued_at > REFRESH_TOKEN_LIFETIME:
        raise errors.invalid_grant(
            "The refresh token has expired due to inactivity. The token was inactive for 90.00:00:00.", 700082
        )
    app = client.app
    if grant.client_id != app["client_id"] and not (grant.family and app.get("foci") == grant.family):
        raise errors.invalid_grant(
            "The refresh token was issued to a different client.", 70000, suberror="client_mismatch"
        )
    scopes = parse_scopes(emu.directory, req.form.get("scope") or "openid profile offline_access")
    return user_tokens(
        emu,
        req,
        app,
        _user(emu, grant.user_oid),
        grant.tenant_id,
        scopes,
        auth_time=grant.auth_time,
        always_refresh_token=True,
        adfs=ref.adfs,
        policy=ref.policy,
    )


def on_behalf_of(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    """OBO: a middle-tier API trades the access token it received for a downstream one."""
    if req.form.get("requested_token_use") != "on_behalf_of":
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'requested_token_use'."
        )
    if not client.confidential:
        raise errors.invalid_client(
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            7000218,
        )
    try:
        claims = emu.signing_key.verify(req.form.get("assertion", ""), emu.clock())
    except jwt.ExpiredSignatureError:
        raise errors.invalid_grant("Assertion is not within its valid time range.", 500133)
    except jwt.InvalidTokenError:
        raise errors.invalid_grant("Assertion failed signature validation.", 50013)
    app = client.app
    if claims.get("aud") not in (app["client_id"], app.get("app_id_uri")):
        raise errors.invalid_grant(
            "Assertion audience does not match the Client app presenting the assertion. The "
            "audience in the assertion was '%s' and the expected audience is '%s'."
            % (claims.get("aud"), app.get("app_id_uri") or app["client_id"]),
            50013,
        )
    if claims.get("idtyp") == "app" or not claims.get("oid"):
        raise errors.invalid_grant("An app-only token cannot be used on behalf of a user.", 50013)
    scopes = parse_scopes(emu.directory, req.form.get("scope"))
    return user_tokens(
        emu,
        req,
        app,
        _user(emu, claims["oid"]),
        claims["tid"],
        scopes,
        auth_time=claims.get("iat", emu.clock()),
    )


def user_fic(emu: "Emulator", req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    """The user federated identity credential grant: an agent presents an app-only token
    issued here (its instance token) and names the user, by UPN or object id, it acts for."""
    if not client.confidential:
        raise errors.invalid_client(
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            7000218,
        )
    try:
        claims = emu.signing_key.verify(req.form.get("user_federated_identity_credential", ""), emu.clock())
    except jwt.ExpiredSignatureError:
        raise errors.invalid_grant("Assertion is not within its valid time range.", 500133)
    except jwt.InvalidTokenError:
        raise errors.invalid_grant("Assertion failed signature validation.", 50013)
    if claims.get("idtyp") != "app":
        raise errors.invalid_grant("The federated identity credential must be an app token.", 50013)
    username, user_id = req.form.get("username", ""), req.form.get("user_id", "")
    if bool(username) == bool(user_id):
        raise errors.invalid_request(
            "The request body must contain exactly one of the parameters 'username' or 'user_id'."
        )
    user = emu.directory.user(username) if username else emu.directory.user_by_oid(user_id)
    if user is None or user.get("tenant", claims["tid"]) != claims["tid"]:
        raise errors.invalid_grant("The user account does not exist in the directory.", 50034)
    scopes = parse_scopes(emu.directory, req.form.get("scope"))
    return user_tokens(emu, req, client.app, user, claims["tid"], scopes, auth_time=emu.clock())


GRANTS: Dict[str, Callable[..., Dict[str, Any]]] = {
    "user_fic": user_fic,
    "client_credentials": client_credentials,
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    JWT_BEARER_GRANT: on_behalf_of,
    device.DEVICE_CODE_GRANT: device.device_code_grant,
    "device_code": device.device_code_grant,  # the short name msal-node sends; Entra takes both
    "password": password.password_grant,
    federation.SAML1_GRANT: federation.saml_grant,
    federation.SAML2_GRANT: federation.saml_grant,
}
