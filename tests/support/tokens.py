"""Token builders: base64url JSON, client_info, unsigned JWTs, token responses and the events
the protocol layer hands the token cache."""

import base64
import json
from typing import Any, Dict, Optional

# {"alg":"none"}: the header of an unsigned JWT, as the cache documents of the tests expect it.
UNSIGNED_HEADER = "eyJhbGciOiJub25lIn0"


def b64url(data: bytes) -> str:
    """Unpadded base64url, the encoding of JWT parts and of client_info."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64_json(value: Any) -> str:
    return b64url(json.dumps(value).encode("utf-8"))


def client_info(uid: str, utid: str) -> str:
    """The ``client_info`` of a token response: the user's home object and tenant ids."""
    return b64_json({"uid": uid, "utid": utid})


def unsigned_jwt(claims: Dict[str, Any], signature: str = "sig") -> str:
    """A JWT the cache only decodes (it never checks an ID token's signature)."""
    return "%s.%s.%s" % (UNSIGNED_HEADER, b64_json(claims), signature)


def token_response(**fields: Any) -> Dict[str, Any]:
    """A token endpoint's answer: a bearer access token for an hour, plus ``fields``."""
    response: Dict[str, Any] = {"access_token": "AT", "token_type": "Bearer", "expires_in": 3600}
    response.update(fields)
    return response


def cache_event(
    response: Dict[str, Any],
    client_id: str = "CID",
    scope: Any = ("User.Read", "Mail.Read"),
    token_endpoint: str = "https://login.microsoftonline.com/TENANT/oauth2/v2.0/token",
    grant_type: Optional[str] = None,
    **fields: Any,
) -> Dict[str, Any]:
    """What the protocol layer hands ``TokenCache.add`` after a token request. Without a
    ``grant_type``, an answer naming a user (client_info, id_token) is an auth code grant's and
    one naming nobody is an app token's."""
    if grant_type is None:
        names_a_user = "client_info" in response or "id_token" in response
        grant_type = "authorization_code" if names_a_user else "client_credentials"
    event = {
        "client_id": client_id,
        "scope": list(scope),
        "token_endpoint": token_endpoint,
        "grant_type": grant_type,
        "response": response,
        "data": {},
        "params": {},
    }
    event.update(fields)
    return event
