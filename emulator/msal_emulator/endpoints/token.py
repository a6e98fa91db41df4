"""The token endpoint: client authentication and one function per grant type."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import unquote

import jwt
from cryptography import x509

from .. import certs, errors
from ..config import PUBLIC_CLOUD_HOSTS, REGIONAL_HOST_SUFFIX
from ..http import Request, Response, json_response
from ..store import REFRESH_TOKEN_LIFETIME, CODE_LIFETIME, RefreshGrant
from ..tokens import (EXPIRES_IN, app_access_token_claims, client_info, id_token_claims,
                      user_access_token_claims)
from .common import Scopes, TenantRef, parse_scopes, resolve_tenant

JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOCK_SKEW = 5


@dataclass
class Client:
    """The authenticated caller: its app entry and how it proved who it is (`azpacr`)."""
    app: Dict[str, Any]
    azpacr: str  # "0" public, "1" secret, "2" certificate

    @property
    def confidential(self) -> bool:
        return self.azpacr != "0"


def token(emu, req: Request, tenant: str) -> Response:
    ref = resolve_tenant(emu.directory, tenant)
    grant_type = req.form.get("grant_type", "")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise errors.EntraError(
            "unsupported_grant_type", 70003,
            "The app requested an unsupported grant type '%s'." % grant_type)
    client = authenticate_client(emu, req, ref)
    return json_response(grant(emu, req, ref, client))


# ---- client authentication -------------------------------------------------------------

def _basic_credentials(req: Request):
    auth = req.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return unquote(user), unquote(password)


def authenticate_client(emu, req: Request, ref: TenantRef) -> Client:
    """Who is calling: public apps send no secret; confidential apps a secret or assertion."""
    basic_id, basic_secret = _basic_credentials(req)
    client_id = req.form.get("client_id") or basic_id
    if not client_id:
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'client_id'.")
    app = emu.directory.app_by_client_id(client_id)
    if app is None:
        raise errors.unknown_client(client_id, ref.path)
    secret = req.form.get("client_secret") or basic_secret
    assertion = req.form.get("client_assertion")
    if app["kind"] == "public":
        if secret or assertion:
            raise errors.invalid_client(
                "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                "presented.", 700025)
        return Client(app, "0")
    if secret:
        expected = app.get("client_secret") or ""
        if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise errors.invalid_client(
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                "'%s'." % app["client_id"], 7000215)
        return Client(app, "1")
    if assertion:
        verify_client_assertion(emu, req, ref, app, assertion)
        return Client(app, "2")
    raise errors.invalid_client(
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.", 7000218)


def _registered_certificate(app: Dict[str, Any], header: Dict[str, Any]) -> Optional[x509.Certificate]:
    """The app's certificate that the assertion header names (x5c, x5t or x5t#S256)."""
    registered = [certs.load_pem_certificate(pem) for pem in app.get("certificates", [])]
    if header.get("x5c"):
        try:
            first = base64.b64decode("".join(str(header["x5c"][0]).split()))
        except (binascii.Error, IndexError, TypeError):
            return None
        return next((c for c in registered if certs.cert_der(c) == first), None)
    if header.get("x5t"):
        wanted = str(header["x5t"]).rstrip("=")
        return next((c for c in registered if certs.x5t(c) == wanted), None)
    if header.get("x5t#S256"):
        wanted = str(header["x5t#S256"]).rstrip("=")
        return next((c for c in registered if certs.x5t_s256(c) == wanted), None)
    return None


def _audiences(req: Request, ref: TenantRef, app: Dict[str, Any], directory) -> List[str]:
    """Token endpoint URLs an assertion may name: any host alias, any spelling of the tenant."""
    hosts = {req.host.lower(), req.hostname.lower()}
    if req.hostname.lower() in PUBLIC_CLOUD_HOSTS or req.hostname.lower().endswith(REGIONAL_HOST_SUFFIX):
        hosts.update(PUBLIC_CLOUD_HOSTS)
    tenant = ref.tenant or directory.tenant(app["tenant"]) or {}
    tenants = {ref.path.lower(), ref.segment.lower()}
    tenants.update(v.lower() for v in (tenant.get("id"), tenant.get("domain")) if v)
    return ["https://%s/%s/oauth2/%s" % (h, t, p) for h in hosts for t in tenants
            for p in ("v2.0/token", "token")]


def verify_client_assertion(emu, req: Request, ref: TenantRef, app: Dict[str, Any],
                            assertion: str) -> None:
    """Check a certificate credential the way Entra does; raise invalid_client otherwise."""
    if req.form.get("client_assertion_type") != JWT_BEARER_ASSERTION_TYPE:
        raise errors.invalid_client(
            "The client_assertion_type must be '%s'." % JWT_BEARER_ASSERTION_TYPE, 700023)
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        raise errors.invalid_client("JWT token is invalid or malformed.", 50027)
    cert = _registered_certificate(app, header)
    if cert is None:
        raise errors.invalid_client(
            "The certificate with identifier used to sign the client assertion is not registered "
            "on application. [Reason - The key was not found., Thumbprint of key used by client: "
            "'%s']" % header.get("x5t", header.get("x5t#S256", "")), 700027)
    try:
        claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256", "PS256"],
                            options={"verify_aud": False, "verify_exp": False,
                                     "verify_nbf": False, "verify_iat": False,
                                     "verify_iss": False})
    except jwt.InvalidTokenError:
        raise errors.invalid_client("Client assertion contains an invalid signature.", 700027)
    _check_assertion_claims(emu, req, ref, app, claims)


def _check_assertion_claims(emu, req, ref, app, claims: Dict[str, Any]) -> None:
    now = emu.clock()
    if claims.get("iss") != app["client_id"] or claims.get("sub") != app["client_id"]:
        raise errors.invalid_client(
            "Client assertion application identifier doesn't match 'client_id' parameter. "
            "Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/"
            "develop/certificate-credentials .", 700021)
    auds = claims.get("aud")
    auds = auds if isinstance(auds, list) else [auds]
    allowed = _audiences(req, ref, app, emu.directory)
    if not any(isinstance(a, str) and a.rstrip("/").lower() in allowed for a in auds):
        raise errors.invalid_client(
            "Client assertion audience claim does not match Realm issuer. Review the "
            "documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/"
            "certificate-credentials .", 50012)
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or exp <= now or (
            isinstance(nbf, (int, float)) and nbf > now + CLOCK_SKEW):
        raise errors.invalid_client(
            "Client assertion is not within its valid time range. Current time: %d, assertion "
            "valid from %s, expiry time of assertion %s." % (now, nbf, exp), 700024)
    jti = claims.get("jti")
    if jti is not None and not emu.store.use_jti(app["client_id"], str(jti), float(exp)):
        raise errors.invalid_client(
            "Client assertion with jti '%s' has already been used; assertions are single use."
            % jti, 700023)


# ---- token responses -------------------------------------------------------------------

def user_tokens(emu, req: Request, app: Dict[str, Any], user: Dict[str, Any], tid: str,
                scopes: Scopes, *, auth_time: float, nonce: Optional[str] = None,
                with_auth_time: bool = False, always_refresh_token: bool = False) -> Dict[str, Any]:
    """Entra's answer to a user flow: access token, maybe refresh token, id token, client_info."""
    now = emu.clock()
    host = req.host
    access = emu.signing_key.sign(user_access_token_claims(
        host=host, tid=tid, user=user, client_id=app["client_id"], audience=scopes.audience,
        scopes=scopes.names, now=now))
    body: Dict[str, Any] = {"token_type": "Bearer", "scope": scopes.response_scope(),
                            "expires_in": EXPIRES_IN, "ext_expires_in": EXPIRES_IN,
                            "access_token": access}
    if scopes.wants_refresh_token or always_refresh_token:
        body["refresh_token"] = emu.store.new_refresh_token(RefreshGrant(
            client_id=app["client_id"], user_oid=user["oid"], tenant_id=tid, issued_at=now,
            auth_time=auth_time, family=app.get("foci")))
    if scopes.wants_id_token:
        body["id_token"] = emu.signing_key.sign(id_token_claims(
            host=host, tid=tid, user=user, client_id=app["client_id"], now=now, nonce=nonce,
            auth_time=auth_time if with_auth_time else None, email="email" in scopes.reserved))
    if req.form.get("client_info") == "1":
        body["client_info"] = client_info(user["oid"], tid)
    if app.get("foci"):
        body["foci"] = app["foci"]
    return body


def _user(emu, oid: str) -> Dict[str, Any]:
    user = emu.directory.user_by_oid(oid)
    if user is None:
        raise errors.invalid_grant("The user account does not exist in the directory.", 50034)
    return user


# ---- grants ------------------------------------------------------------------------------

def client_credentials(emu, req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    if not client.confidential:
        raise errors.invalid_client(
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.", 7000218)
    items = req.form.get("scope", "").split()
    if len(items) != 1 or not items[0].endswith("/.default"):
        raise errors.invalid_scope(
            "The provided value for scope %s is not valid. Client credential flows must have a "
            "scope value with /.default suffixed to the resource identifier (application ID URI)."
            % " ".join(items), code=1002012)
    scopes = parse_scopes(emu.directory, items[0])
    tid = ref.tenant["id"] if ref.tenant else client.app["tenant"]
    access = emu.signing_key.sign(app_access_token_claims(
        host=req.host, tid=tid, app=client.app, audience=scopes.audience,
        roles=scopes.resource.get("app_roles", []), now=emu.clock(), azpacr=client.azpacr))
    return {"token_type": "Bearer", "expires_in": EXPIRES_IN, "ext_expires_in": EXPIRES_IN,
            "access_token": access}


def _s256(verifier: str) -> str:
    return certs.b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())


def authorization_code(emu, req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    value = req.form.get("code")
    if not value:
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'code'.")
    code = emu.store.redeem_code(value)
    now = emu.clock()
    if code is None:
        raise errors.invalid_grant("The provided value for the 'code' parameter is not valid.", 70000)
    if code.redeemed:
        raise errors.invalid_grant(
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token.", 54005)
    if now - code.issued_at > CODE_LIFETIME:
        raise errors.invalid_grant(
            "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource.", 70008)
    if code.client_id != client.app["client_id"]:
        raise errors.invalid_grant("The code was issued to a different client.", 70000)
    if req.form.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
        raise errors.invalid_grant(
            "The reply address '%s' does not match the reply address '%s' provided when "
            "requesting Authorization code." % (req.form.get("redirect_uri"), code.redirect_uri),
            500112)
    _check_pkce(code.code_challenge, req.form.get("code_verifier"))
    scopes = parse_scopes(emu.directory, req.form.get("scope") or code.scope)
    return user_tokens(emu, req, client.app, _user(emu, code.user_oid), code.tenant_id, scopes,
                       auth_time=code.auth_time, nonce=code.nonce,
                       with_auth_time=code.max_age is not None)


def _check_pkce(challenge: Optional[str], verifier: Optional[str]) -> None:
    if not challenge:
        return
    if not verifier:
        raise errors.invalid_grant(
            "The request body must contain the following parameter: 'code_verifier'.", 50148)
    if not hmac.compare_digest(_s256(verifier), challenge):
        raise errors.invalid_grant(
            "The code_verifier does not match the code_challenge supplied in the authorization "
            "request for PKCE.", 501481)


def refresh_token(emu, req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    value = req.form.get("refresh_token")
    if not value:
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'refresh_token'.")
    grant = emu.store.refresh_grant(value)
    now = emu.clock()
    if grant is None:
        raise errors.invalid_grant("Invalid request. Request is malformed or invalid.", 9002313)
    if grant.revoked:
        raise errors.invalid_grant(
            "The provided grant has expired due to it being revoked, a fresh auth token is "
            "needed. The user might have changed or reset their password.", 50173)
    if now - grant.issued_at > REFRESH_TOKEN_LIFETIME:
        raise errors.invalid_grant(
            "The refresh token has expired due to inactivity. The token was inactive for "
            "90.00:00:00.", 700082)
    app = client.app
    if grant.client_id != app["client_id"] and not (grant.family and app.get("foci") == grant.family):
        raise errors.invalid_grant("The refresh token was issued to a different client.", 70000,
                                   suberror="client_mismatch")
    scopes = parse_scopes(emu.directory, req.form.get("scope") or "openid profile offline_access")
    return user_tokens(emu, req, app, _user(emu, grant.user_oid), grant.tenant_id, scopes,
                       auth_time=grant.auth_time, always_refresh_token=True)


def on_behalf_of(emu, req: Request, ref: TenantRef, client: Client) -> Dict[str, Any]:
    """OBO: a middle-tier API trades the access token it received for a downstream one."""
    if req.form.get("requested_token_use") != "on_behalf_of":
        raise errors.invalid_request(
            "The request body must contain the following parameter: 'requested_token_use'.")
    if not client.confidential:
        raise errors.invalid_client(
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.", 7000218)
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
            % (claims.get("aud"), app.get("app_id_uri") or app["client_id"]), 50013)
    if claims.get("idtyp") == "app" or not claims.get("oid"):
        raise errors.invalid_grant("An app-only token cannot be used on behalf of a user.", 50013)
    scopes = parse_scopes(emu.directory, req.form.get("scope"))
    return user_tokens(emu, req, app, _user(emu, claims["oid"]), claims["tid"], scopes,
                       auth_time=claims.get("iat", emu.clock()))


GRANTS: Dict[str, Callable[..., Dict[str, Any]]] = {
    "client_credentials": client_credentials,
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    JWT_BEARER_GRANT: on_behalf_of,
}
