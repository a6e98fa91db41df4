"""Client authentication at the token endpoint: public clients, secrets, certificate assertions."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple
from urllib.parse import unquote

import jwt
from cryptography import x509

from .. import certs, errors
from ..config import PUBLIC_CLOUD_HOSTS, REGIONAL_HOST_SUFFIX, Directory
from ..http import Request
from .common import TenantRef

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLOCK_SKEW = 5


@dataclass
class Client:
    """The authenticated caller: its app entry and how it proved who it is (`azpacr`)."""

    app: Dict[str, Any]
    azpacr: str  # "0" public, "1" secret, "2" certificate

    @property
    def confidential(self) -> bool:
        return self.azpacr != "0"


def _basic_credentials(req: Request) -> Tuple[Optional[str], Optional[str]]:
    auth = req.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return unquote(user), unquote(password)


def authenticate_client(emu: "Emulator", req: Request, ref: TenantRef) -> Client:
    """Who is calling: public apps send no secret; confidential apps a secret or assertion."""
    basic_id, basic_secret = _basic_credentials(req)
    client_id = req.form.get("client_id") or basic_id
    if not client_id:
        raise errors.invalid_request("The request body must contain the following parameter: 'client_id'.")
    app = emu.directory.app_by_client_id(client_id)
    if app is None:
        raise errors.unknown_client(client_id, ref.path)
    secret = req.form.get("client_secret") or basic_secret
    assertion = req.form.get("client_assertion")
    if app["kind"] == "public":
        if secret or assertion:
            raise errors.invalid_client(
                "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
                700025,
            )
        return Client(app, "0")
    if secret:
        expected = app.get("client_secret") or ""
        if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise errors.invalid_client(
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                "'%s'." % app["client_id"],
                7000215,
            )
        return Client(app, "1")
    if assertion:
        verify_client_assertion(emu, req, ref, app, assertion)
        return Client(app, "2")
    raise errors.invalid_client(
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        7000218,
    )


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


def _audiences(req: Request, ref: TenantRef, app: Dict[str, Any], directory: Directory) -> List[str]:
    """Token endpoint URLs an assertion may name: any host alias, any spelling of the tenant."""
    hosts = {req.host.lower(), req.hostname.lower()}
    if req.hostname.lower() in PUBLIC_CLOUD_HOSTS or req.hostname.lower().endswith(REGIONAL_HOST_SUFFIX):
        hosts.update(PUBLIC_CLOUD_HOSTS)
    tenant = ref.tenant or directory.tenant(app["tenant"]) or {}
    tenants = {ref.path.lower(), ref.segment.lower()}
    tenants.update(v.lower() for v in (tenant.get("id"), tenant.get("domain")) if v)
    return [
        "https://%s/%s/oauth2/%s" % (h, t, p) for h in hosts for t in tenants for p in ("v2.0/token", "token")
    ]


def verify_client_assertion(
    emu: "Emulator", req: Request, ref: TenantRef, app: Dict[str, Any], assertion: str
) -> None:
    """Check a certificate credential the way Entra does; raise invalid_client otherwise."""
    if req.form.get("client_assertion_type") != JWT_BEARER_ASSERTION_TYPE:
        raise errors.invalid_client(
            "The client_assertion_type must be '%s'." % JWT_BEARER_ASSERTION_TYPE, 700023
        )
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        raise errors.invalid_client("JWT token is invalid or malformed.", 50027)
    cert = _registered_certificate(app, header)
    if cert is None:
        raise errors.invalid_client(
            "The certificate with identifier used to sign the client assertion is not registered "
            "on application. [Reason - The key was not found., Thumbprint of key used by client: "
            "'%s']" % header.get("x5t", header.get("x5t#S256", "")),
            700027,
        )
    _check_certificate_dates(emu, cert, header)
    try:
        key: Any = cert.public_key()  # an RSA key: registered certificates are RSA
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["RS256", "PS256"],
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidTokenError:
        raise errors.invalid_client("Client assertion contains an invalid signature.", 700027)
    _check_assertion_claims(emu, req, ref, app, claims)


def _check_certificate_dates(emu: "Emulator", cert: x509.Certificate, header: Dict[str, Any]) -> None:
    """Entra refuses a registered key outside its validity period."""
    now = emu.clock()
    start, end = cert.not_valid_before_utc.timestamp(), cert.not_valid_after_utc.timestamp()
    if start <= now < end:
        return

    def stamp(t: float) -> str:
        return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(t))

    raise errors.invalid_client(
        "Client assertion contains an invalid signature. [Reason - The key used is %s., "
        "Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s']"
        % (
            "expired" if now >= end else "not yet valid",
            certs.sha1_thumbprint_hex(cert),
            stamp(start),
            stamp(end),
        ),
        700027,
    )


def _check_assertion_claims(
    emu: "Emulator", req: Request, ref: TenantRef, app: Dict[str, Any], claims: Dict[str, Any]
) -> None:
    now = emu.clock()
    if claims.get("iss") != app["client_id"] or claims.get("sub") != app["client_id"]:
        raise errors.invalid_client(
            "Client assertion application identifier doesn't match 'client_id' parameter. "
            "Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/"
            "develop/certificate-credentials .",
            700021,
        )
    auds = claims.get("aud")
    auds = auds if isinstance(auds, list) else [auds]
    allowed = _audiences(req, ref, app, emu.directory)
    if not any(isinstance(a, str) and a.rstrip("/").lower() in allowed for a in auds):
        raise errors.invalid_client(
            "Client assertion audience claim does not match Realm issuer. Review the "
            "documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/"
            "certificate-credentials .",
            50012,
        )
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if (
        not isinstance(exp, (int, float))
        or exp <= now
        or (isinstance(nbf, (int, float)) and nbf > now + CLOCK_SKEW)
    ):
        raise errors.invalid_client(
            "Client assertion is not within its valid time range. Current time: %d, assertion "
            "valid from %s, expiry time of assertion %s." % (now, nbf, exp),
            700024,
        )
    jti = claims.get("jti")
    if jti is not None and not emu.store.use_jti(app["client_id"], str(jti), float(exp)):
        raise errors.invalid_client(
            "Client assertion with jti '%s' has already been used; assertions are single use." % jti, 700023
        )
