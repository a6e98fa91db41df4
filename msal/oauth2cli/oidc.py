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

from . import jsontext

CLOCK_SKEW = 300  # seconds of tolerance between our clock and the identity provider's


class IdTokenError(ValueError, RuntimeError):
    """An ID token failed validation; the tokens that came with it were not cached.

    A ValueError, as this package has always raised it, and a RuntimeError, as the original
    msal 1.39 raises it, so that handlers written for either catch it. ``now`` and ``claims``
    (1.39's signature) add the clock and the token's ``aud``, ``iat`` and ``exp`` to the message.
    """

    def __init__(
        self, reason: str, now: Optional[float] = None, claims: Optional[Dict[str, Any]] = None
    ) -> None:
        if now is not None or claims is not None:
            reason = "{} Current epoch = {}. The ID token's aud, iat and exp: {}".format(
                reason, now, {k: (claims or {}).get(k) for k in ("aud", "iat", "exp")}
            )
        super().__init__(reason)


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


def validate_id_token(
    claims: Dict[str, Any],
    *,
    client_id: str,
    issuer: Optional[str] = None,
    nonce: Optional[str] = None,
    max_age: Optional[int] = None,
    now: Optional[float] = None,
    skew: int = CLOCK_SKEW,
) -> None:
    """Raise ``IdTokenError`` naming the first check the claims fail."""
    now = time.time() if now is None else now
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise IdTokenError("The ID token was issued to another audience, not to this client")
    azp = claims.get("azp")
    if azp is not None and azp != client_id:  # OIDC Core §3.1.3.7 (5)
        raise IdTokenError("The ID token was issued to another client (azp), not to this one")
    if issuer and not _issued_by(issuer, claims):
        raise IdTokenError(
            "The ID token's issuer {!r} is not the authority's {!r}".format(claims.get("iss"), issuer)
        )
    if not _number(claims.get("exp")) or claims["exp"] < now - skew:
        raise IdTokenError("The ID token has expired or has no valid exp claim")
    if "nbf" in claims and (not _number(claims["nbf"]) or claims["nbf"] > now + skew):
        raise IdTokenError("The ID token is not valid yet (nbf)")
    if nonce is not None and claims.get("nonce") != nonce:
        raise IdTokenError(
            "The ID token's nonce does not match the one this client sent: the response may be a replay"
        )
    if max_age is not None:
        auth_time: Any = claims.get("auth_time")
        if not _number(auth_time):
            raise IdTokenError("max_age was requested but the ID token has no auth_time")
        if float(auth_time) + max_age < now - skew:
            raise IdTokenError("The user signed in longer ago than max_age allows")


def _issued_by(issuer: str, claims: Dict[str, Any]) -> bool:
    """Whether the token's ``iss`` is the discovered issuer. A multi-tenant authority's issuer
    is a template whose ``{tenantid}`` stands for the token's ``tid`` (or, in a token without
    one, for a single path segment: the host and shape are still checked)."""
    iss = claims.get("iss")
    if not isinstance(iss, str):
        return False
    if "{tenantid}" not in issuer:
        return iss == issuer
    tid = claims.get("tid")
    if isinstance(tid, str):
        return iss == issuer.replace("{tenantid}", tid)
    head, _, tail = issuer.partition("{tenantid}")
    tenant = iss[len(head) : len(iss) - len(tail)]
    return (
        len(iss) > len(head) + len(tail) and iss.startswith(head) and iss.endswith(tail) and "/" not in tenant
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Prompt(object):
    """The values of the ``prompt`` parameter (OpenID Connect Core §3.1.2.1, and ``create``
    from the OpenID Connect Prompt Create specification)."""

    NONE = "none"
    LOGIN = "login"
    CONSENT = "consent"
    SELECT_ACCOUNT = "select_account"
    CREATE = "create"
