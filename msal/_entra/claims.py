"""The ``claims`` request parameter: client capabilities merged with a claims challenge."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Optional

from ..oauth2cli import jsontext


def capabilities_claims(client_capabilities: Optional[Iterable[str]]) -> Optional[Dict[str, Any]]:
    """Client capabilities as the claims object Entra expects (``xms_cc``)."""
    if not client_capabilities:
        return None
    if isinstance(client_capabilities, str):
        raise ValueError('client_capabilities must be a list of strings, such as ["CP1"]')
    return {"access_token": {"xms_cc": {"values": list(client_capabilities)}}}


def merge(capabilities: Optional[Dict[str, Any]], claims_challenge: Optional[str]) -> Optional[str]:
    """Return the JSON string for the ``claims`` parameter, or None when there is nothing to send."""
    challenge: Dict[str, Any] = {}
    if claims_challenge:
        challenge = _json_object(claims_challenge, "claims_challenge")
    if not capabilities:  # sent verbatim, as the original library does
        return claims_challenge if challenge else None
    return json.dumps(_deep_merge(challenge, capabilities))


def with_forwarded(
    capabilities: Optional[Dict[str, Any]],
    claims_challenge: Optional[str],
    forwarded_client_claims: Optional[str],
) -> Optional[str]:
    """The claims a request carries with client-forwarded claims: the challenge's, then the
    capabilities, then the forwarded ones, which win a conflict, as later msal versions send
    them. Without forwarded claims the challenge is passed on as it is (see :func:`merge`)."""
    if not forwarded_client_claims:
        return claims_challenge
    forwarded = _json_object(forwarded_client_claims, "forwarded_client_claims")
    if not claims_challenge and not capabilities:
        return forwarded_client_claims
    base = _json_object(claims_challenge, "claims_challenge") if claims_challenge else {}
    return json.dumps(_deep_merge(_deep_merge(base, capabilities or {}), forwarded, then_wins=True))


def _json_object(text: Any, name: str) -> Dict[str, Any]:
    """Parse a JSON object given as a string; ``ValueError`` naming the parameter otherwise."""
    if not isinstance(text, str):
        raise ValueError("{} must be a JSON string".format(name))
    try:
        value = jsontext.loads(text)
    except ValueError:
        raise ValueError("{} is not valid JSON: {!r}".format(name, text[:100]))
    if not isinstance(value, dict):
        raise ValueError("{} must be a JSON object".format(name))
    return value


def _deep_merge(first: Dict[str, Any], then: Dict[str, Any], then_wins: bool = False) -> Dict[str, Any]:
    """``first`` with what ``then`` adds; ``first`` wins a conflict unless ``then_wins``. Key
    order follows the original library (``first``'s keys, then the new ones), so the wire
    bytes match."""
    merged = dict(first)
    for key, value in then.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value, then_wins)
        elif then_wins or key not in merged:
            merged[key] = value
    return merged
