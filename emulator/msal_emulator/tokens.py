"""Token signing and minting: the emulator's RS256 key, its JWKS, JWT claims, client_info."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any, Callable, Dict, Iterable, Optional

import jwt

from . import certs
from .config import CHINA_CLOUD_HOSTS, CIAM_HOST_SUFFIX, PUBLIC_CLOUD_HOSTS, US_GOV_CLOUD_HOSTS

CLOUDS = (PUBLIC_CLOUD_HOSTS, CHINA_CLOUD_HOSTS, US_GOV_CLOUD_HOSTS)

ACCESS_TOKEN_LIFETIME = 3600
EXPIRES_IN = 3599  # what Entra reports for a one hour token


def random_id(nbytes: int = 16) -> str:
    """An opaque URL-safe identifier (uti, aio, codes, refresh tokens)."""
    return certs.b64url(os.urandom(nbytes))


def client_info(oid: str, tid: str, policy: Optional[str] = None) -> str:
    """Entra's client_info: base64url JSON with the user's uid and home tenant.

    B2C appends the user flow to the uid (`<oid>-<policy in lower case>`).
    """
    uid = "%s-%s" % (oid, policy.lower()) if policy else oid
    raw = json.dumps({"uid": uid, "utid": tid}, separators=(",", ":")).encode()
    return certs.b64url(raw)


def pairwise_sub(oid: str, client_id: str) -> str:
    """A subject stable per user and app, but different across apps (Entra's `sub`)."""
    return certs.b64url(hashlib.sha256(("%s|%s" % (oid, client_id)).encode()).digest())


class SigningKey:
    """The key that signs id tokens and access tokens; its certificate is in the JWKS."""

    def __init__(self, ca: certs.CertificateAuthority):
        self.pair = ca.issue("msal-emulator token signing")
        self.kid = certs.x5t(self.pair.cert)

    def jwk(self, issuer: str) -> Dict[str, Any]:
        numbers = self.pair.key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _b64_int(numbers.n),
            "e": _b64_int(numbers.e),
            "x5c": [base64.b64encode(certs.cert_der(self.pair.cert)).decode()],
            "issuer": issuer,
        }

    def sign(self, claims: Dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.pair.key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid, "typ": "JWT"}
        )

    def verify(self, token: str, now: float) -> Dict[str, Any]:
        """Claims of a token this emulator signed; raises jwt.InvalidTokenError otherwise.

        Expiry is checked against the emulator's own clock, not the wall clock.
        """
        header = jwt.get_unverified_header(token)
        if header.get("kid") != self.kid:
            raise jwt.InvalidTokenError("unknown signing key")
        claims = jwt.decode(
            token,
            self.pair.key.public_key(),
            algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
        if claims.get("exp", 0) <= now:
            raise jwt.ExpiredSignatureError("token expired")
        return claims


def issuer(host: str, tid: str) -> str:
    """Entra's v2.0 issuer: a cloud's aliases all issue as its main host (regional hosts as
    themselves); a CIAM tenant's issuer names the tenant in the host as well."""
    if host.lower().endswith(CIAM_HOST_SUFFIX):
        return "https://%s%s/%s/v2.0" % (tid, CIAM_HOST_SUFFIX, tid)
    return "https://%s/%s/v2.0" % (_issuing_host(host), tid)


def _issuing_host(host: str) -> str:
    return next((cloud[0] for cloud in CLOUDS if host.lower() in cloud), host)


def _b64_int(number: int) -> str:
    return certs.b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def b2c_issuer(host: str, tid: str) -> str:
    return "https://%s/%s/v2.0/" % (host, tid)


def b2c_claims(
    *,
    host: str,
    tid: str,
    user: Dict[str, Any],
    policy: str,
    audience: str,
    now: float,
    lifetime: int = ACCESS_TOKEN_LIFETIME,
) -> Dict[str, Any]:
    """What B2C puts in its (v1.0) tokens: `sub` = object id, `emails`, the user flow in `tfp`."""
    claims: Dict[str, Any] = {"iss": b2c_issuer(host, tid), "aud": audience, "ver": "1.0"}
    claims.update(time_claims(now, lifetime))
    claims.update(
        {
            "sub": user["oid"],
            "oid": user["oid"],
            "name": user.get("name"),
            "emails": [user.get("email", user["username"])],
            "tfp": policy,
        }
    )
    return claims


def time_claims(now: float, lifetime: int = ACCESS_TOKEN_LIFETIME) -> Dict[str, int]:
    iat = int(now)
    return {"iat": iat, "nbf": iat, "exp": iat + lifetime}


def user_access_token_claims(
    *,
    host: str,
    tid: str,
    user: Dict[str, Any],
    client_id: str,
    audience: str,
    scopes: Iterable[str],
    now: float,
    lifetime: int = ACCESS_TOKEN_LIFETIME,
) -> Dict[str, Any]:
    """Claims of a delegated (user) access token, as Entra's v2.0 tokens carry them."""
    claims: Dict[str, Any] = {"aud": audience, "iss": issuer(host, tid)}
    claims.update(time_claims(now, lifetime))
    claims.update(
        {
            "aio": random_id(),
            "azp": client_id,
            "azpacr": "0",
            "idtyp": "user",
            "name": user.get("name"),
            "oid": user["oid"],
            "preferred_username": user["username"],
            "rh": random_id(8),
            "scp": " ".join(scopes),
            "sub": pairwise_sub(user["oid"], client_id),
            "tid": tid,
            "uti": random_id(),
            "ver": "2.0",
        }
    )
    return claims


def app_access_token_claims(
    *, host: str, tid: str, app: Dict[str, Any], audience: str, roles: Iterable[str], now: float, azpacr: str
) -> Dict[str, Any]:
    """Claims of an application (client credentials) access token."""
    sp = app["service_principal_oid"]
    claims: Dict[str, Any] = {"aud": audience, "iss": issuer(host, tid)}
    claims.update(time_claims(now))
    claims.update(
        {
            "aio": random_id(),
            "azp": app["client_id"],
            "appid": app["client_id"],
            "azpacr": azpacr,
            "idp": issuer(host, tid),
            "idtyp": "app",
            "oid": sp,
            "sub": sp,
            "rh": random_id(8),
            "roles": list(roles),
            "tid": tid,
            "uti": random_id(),
            "ver": "2.0",
        }
    )
    return claims


def id_token_claims(
    *,
    host: str,
    tid: str,
    user: Dict[str, Any],
    client_id: str,
    now: float,
    nonce: Optional[str] = None,
    auth_time: Optional[float] = None,
    email: bool = False,
) -> Dict[str, Any]:
    claims: Dict[str, Any] = {"aud": client_id, "iss": issuer(host, tid)}
    claims.update(time_claims(now))
    claims.update(
        {
            "name": user.get("name"),
            "oid": user["oid"],
            "preferred_username": user["username"],
            "rh": random_id(8),
            "sub": pairwise_sub(user["oid"], client_id),
            "tid": tid,
            "uti": random_id(),
            "ver": "2.0",
        }
    )
    if nonce is not None:
        claims["nonce"] = nonce
    if auth_time is not None:
        claims["auth_time"] = int(auth_time)
    if email:
        claims["email"] = user.get("email", user["username"])
    return claims


def adfs_issuer(host: str) -> str:
    return "https://%s/adfs" % host


def adfs_access_token_claims(
    *,
    host: str,
    user: Dict[str, Any],
    client_id: str,
    audience: str,
    scopes: Iterable[str],
    now: float,
    auth_time: float,
) -> Dict[str, Any]:
    """An ADFS 2019 access token: v1.0 claims, upn/unique_name, no oid/tid."""
    claims: Dict[str, Any] = {"aud": audience, "iss": "http://%s/adfs/services/trust" % host}
    claims.update(time_claims(now))
    claims.update(
        {
            "apptype": "Public",
            "appid": client_id,
            "auth_time": int(auth_time),
            "authmethod": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
            "scp": " ".join(scopes),
            "sid": pairwise_sub(user["oid"], "sid"),
            "unique_name": user["username"],
            "upn": user["username"],
            "ver": "1.0",
        }
    )
    return claims


def adfs_id_token_claims(
    *, host: str, user: Dict[str, Any], client_id: str, now: float, nonce: Optional[str], auth_time: float
) -> Dict[str, Any]:
    """An ADFS id token: `upn` and `unique_name` name the user; ADFS has no `tid`."""
    claims: Dict[str, Any] = {"aud": client_id, "iss": adfs_issuer(host)}
    claims.update(time_claims(now))
    claims.update(
        {
            "auth_time": int(auth_time),
            "sub": pairwise_sub(user["oid"], client_id),
            "upn": user["username"],
            "unique_name": user["username"],
            "sid": pairwise_sub(user["oid"], "sid"),
            "apptype": "Public",
            "appid": client_id,
            "ver": "1.0",
        }
    )
    if nonce is not None:
        claims["nonce"] = nonce
    return claims


Clock = Callable[[], float]
