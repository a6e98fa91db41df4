"""OpenID Connect ID tokens: decoding and the checks of OIDC Core §3.1.3.7.

The signature is not verified: the token comes straight from the token endpoint over TLS,
which OIDC Core §3.1.3.7 (6) allows. Claims are checked before anything reaches the cache.
"""
from __future__ import annotations

import base64
import binascii
import math
import time
from typing import Any, Dict, Optional

from ..exceptions import IdTokenError
from . import jsontext

CLOCK_SKEW = 300  # seconds of tolerance between our clock and the identity provider's


def decode_part(raw: str) -> Dict[str, Any]:
    """Decode one base64url JSON segment (a JWT part or ``client_info``); ``ValueError`` if it is not one."""
    if not isinstance(raw, str):
        raise ValueError("Expected a base64url string, got {}".format(type(raw).__name__))
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value = jsontext.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise ValueError("Not a base64url-encoded JSON object")
    if not isinstance(value, dict):
        raise ValueError("Not a base64url-encoded JSON object")
    return value


def decode_id_token(id_token: str) -> Dict[str, Any]:
    """The claims of an ID token, without verifying them; ``IdTokenError`` if it is not a JWT."""
    parts = id_token.split(".") if isinstance(id_token, str) else []
    if len(parts) != 3:
        raise IdTokenError("The ID token is not a JWT (it must have three dot-separated parts)")
    try:
        return decode_part(parts[1])
    except ValueError:
        raise IdTokenError("The ID token's payload is not base64url-encoded JSON")


def validate_id_token(claims: Dict[str, Any], *, client_id: str, issuer: Optional[str] = None,
                      nonce: Optional[str] = None, max_age: Optional[int] = None,
                      now: Optional[float] = None, skew: int = CLOCK_SKEW) -> None:
    """Raise ``IdTokenError`` naming the first check the claims fail."""
    now = time.time() if now is None else now
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise IdTokenError("The ID token was issued to another audience, not to this client")
    expected_issuer = _expected_issuer(issuer, claims)
    if expected_issuer and claims.get("iss") != expected_issuer:
        raise IdTokenError("The ID token's issuer {!r} is not the authority's {!r}".format(
            claims.get("iss"), expected_issuer))
    if not _number(claims.get("exp")) or claims["exp"] < now - skew:
        raise IdTokenError("The ID token has expired or has no valid exp claim")
    if "nbf" in claims and (not _number(claims["nbf"]) or claims["nbf"] > now + skew):
        raise IdTokenError("The ID token is not valid yet (nbf)")
    if nonce is not None and claims.get("nonce") != nonce:
        raise IdTokenError("The ID token's nonce does not match the one this client sent: "
                           "the response may be a replay")
    if max_age is not None:
        auth_time: Any = claims.get("auth_time")
        if not _number(auth_time):
            raise IdTokenError("max_age was requested but the ID token has no auth_time")
        if float(auth_time) + max_age < now - skew:
            raise IdTokenError("The user signed in longer ago than max_age allows")


def _expected_issuer(issuer: Optional[str], claims: Dict[str, Any]) -> Optional[str]:
    if not issuer:
        return None
    if "{tenantid}" in issuer:
        tid = claims.get("tid")
        return issuer.replace("{tenantid}", tid) if isinstance(tid, str) else None
    return issuer


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
