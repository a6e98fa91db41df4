"""The unified cache schema: section names, key formats, what makes an entry usable, and the
entries a token event turns into.

Pure functions of their arguments: nothing here touches a cache.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple
from urllib.parse import urlparse

from ..oauth2cli.oidc import decode_part

ACCESS_TOKEN = "AccessToken"
REFRESH_TOKEN = "RefreshToken"
ACCOUNT = "Account"
ID_TOKEN = "IdToken"
APP_METADATA = "AppMetadata"
# Section order of a fresh document, as MSAL writes it.
SECTIONS = (ACCESS_TOKEN, ACCOUNT, ID_TOKEN, REFRESH_TOKEN, APP_METADATA)

AUTHORITY_ADFS = "ADFS"
AUTHORITY_MSSTS = "MSSTS"  # AAD v2, for both AAD and MSA

# An access token is treated as expired this many seconds before expires_on.
EXPIRY_MARGIN = 300
# Lifetime assumed when a token response carries no usable expires_in.
DEFAULT_EXPIRES_IN = 600

Entry = Dict[str, Any]


# ---------------------------------------------------------------- decoding


def decode_client_info(client_info: Any) -> Optional[Dict[str, Any]]:
    """The JSON object inside a base64url ``client_info``, or None."""
    try:
        return decode_part(client_info) if client_info else None
    except ValueError:
        return None


def decode_id_token_claims(id_token: Any) -> Optional[Dict[str, Any]]:
    """The payload of a JWT without verifying it, or None if malformed.

    Verification is the protocol layer's job; the cache only needs the identifying claims.
    """
    parts = id_token.split(".") if isinstance(id_token, str) else []
    return decode_client_info(parts[1]) if len(parts) >= 2 else None


def to_int(value: Any, default: Optional[int] = None) -> Optional[int]:
    """Parse an integer-ish value (int, float or numeric string)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


def epoch(value: Any) -> Optional[int]:
    """Epoch seconds as the schema stores them (an integer or a string of digits), or None.

    Stricter than to_int: callers turn a cached ``expires_on`` into ``int()`` directly. Negative
    numbers are refused as negative digit strings are: no token expires before 1970.
    """
    if type(value) is int and value >= 0:
        return value
    if type(value) is str and value.isdecimal() and len(value) <= 20:  # int() refuses huge ones
        return int(value)
    return None


# ---------------------------------------------------------------- usable entries


def _text(value: Any) -> bool:
    return type(value) is str and value != ""


def usable_expiry(entry: Entry) -> Optional[int]:
    """When an access token that can be served expires; None for one that cannot be served.

    It can be served with a secret, an expiry, an account or none. One with an
    ``ext_cache_key`` (later msal versions file tokens for an FMI path or forwarded claims so)
    belongs to those requests only, never to a plain lookup."""
    secret, home, token_type = entry.get("secret"), entry.get("home_account_id"), entry.get("token_type")
    if (
        type(secret) is str
        and secret
        and (home is None or (type(home) is str and home))
        and (token_type is None or type(token_type) is str)
        and "ext_cache_key" not in entry
    ):
        return epoch(entry.get("expires_on"))
    return None


def usable_account(entry: Entry) -> bool:
    """Whether an account can be listed and then used in silent calls."""
    home, env = entry.get("home_account_id"), entry.get("environment")
    if type(home) is not str or type(env) is not str or not home or not env:
        return False
    realm, username, local = entry.get("realm"), entry.get("username"), entry.get("local_account_id")
    return (
        (realm is None or type(realm) is str)
        and (username is None or type(username) is str)
        and (local is None or type(local) is str)
    )


def usable_credential(entry: Entry) -> bool:
    """Whether a refresh or ID token can be used: a secret, filed under an account."""
    return (
        _text(entry.get("secret"))
        and _text(entry.get("home_account_id"))
        and _text(entry.get("environment"))
        and _text(entry.get("client_id"))
    )


def hashable(value: Any) -> Any:
    """A field value as part of an index key (JSON may hold lists)."""
    if value is None or type(value) is str:
        return value
    try:
        hash(value)
    except TypeError:
        return ("<unhashable>", json.dumps(value, sort_keys=True, default=str))
    return value


def scope_set(target: Any) -> FrozenSet[str]:
    """Lower-cased scopes of a space-separated target string."""
    if not isinstance(target, str):
        return frozenset()
    return frozenset(s.lower() for s in target.split())


def same_family(entry: Entry, family_id: Any) -> bool:
    """Whether a refresh token belongs to the FOCI family ``family_id`` (None: no family)."""
    return (
        family_id is not None
        and entry.get("family_id") is not None
        and str(entry.get("family_id")) == str(family_id)
    )


# ---------------------------------------------------------------- keys


def _part(value: Any) -> str:
    return "" if value is None else str(value)


def _join_key(*parts: Any) -> str:
    return "-".join(_part(p) for p in parts).lower()


def access_token_key(**e: Any) -> str:
    return _join_key(
        e.get("home_account_id"),
        e.get("environment"),
        "accesstoken",
        e.get("client_id"),
        e.get("realm"),
        e.get("target"),
    )


def refresh_token_key(**e: Any) -> str:
    # An empty realm part, and keyed by client_id even for family (FOCI) tokens.
    return _join_key(
        e.get("home_account_id"),
        e.get("environment"),
        "refreshtoken",
        e.get("client_id"),
        "",
        e.get("target"),
    )


def id_token_key(**e: Any) -> str:
    return _join_key(
        e.get("home_account_id"), e.get("environment"), "idtoken", e.get("client_id"), e.get("realm"), ""
    )


def account_key(**e: Any) -> str:
    return _join_key(e.get("home_account_id"), e.get("environment"), e.get("realm"))


def app_metadata_key(**e: Any) -> str:
    # Unlike the other keys, this one keeps its case.
    return "appmetadata-{}-{}".format(_part(e.get("environment")), _part(e.get("client_id")))


KEY_MAKERS: Dict[str, Callable[..., str]] = {
    ACCESS_TOKEN: access_token_key,
    REFRESH_TOKEN: refresh_token_key,
    ID_TOKEN: id_token_key,
    ACCOUNT: account_key,
    APP_METADATA: app_metadata_key,
}


# ---------------------------------------------------------------- token events


def entries_from_event(event: Dict[str, Any], now: int) -> List[Tuple[str, Entry]]:
    """The (section, entry) pairs a token event stores, in the order MSAL writes them.

    A user's tokens that name no account (neither ``client_info`` nor an ID token) are left
    out: filed without one they would sit where the app's own tokens are looked up.
    """
    response = event.get("response") or {}
    endpoint = urlparse(event.get("token_endpoint") or "")
    path = [p for p in endpoint.path.split("/") if p]
    scope = event.get("scope") or []
    base = {
        "environment": event.get("environment") or endpoint.hostname,
        "client_id": event.get("client_id"),
        "realm": path[0] if path else None,
        "target": " ".join(scope.split() if isinstance(scope, str) else scope),
    }
    id_token = response.get("id_token")
    claims = decode_id_token_claims(id_token) if id_token else None
    home = _home_account_id(decode_client_info(response.get("client_info")), claims)
    user_tokens_kept = home is not None or event.get("grant_type") in (None, "client_credentials")
    entries: List[Tuple[str, Entry]] = []
    if "access_token" in response and user_tokens_kept:
        at = _access_token(response, event.get("data") or {}, base, home, now)
        entries.append((ACCESS_TOKEN, _with_assertion_hash(at, event)))
    if home:
        entries.append((ACCOUNT, _account(claims or {}, event.get("data") or {}, base, home)))
    if claims is not None:
        entries.append(
            (
                ID_TOKEN,
                {
                    "credential_type": ID_TOKEN,
                    "secret": id_token,
                    "home_account_id": home,
                    "environment": base["environment"],
                    "realm": base["realm"],
                    "client_id": base["client_id"],
                },
            )
        )
    if "refresh_token" in response and user_tokens_kept:
        rt = {
            "credential_type": REFRESH_TOKEN,
            "secret": response["refresh_token"],
            "home_account_id": home,
            "environment": base["environment"],
            "client_id": base["client_id"],
            "target": base["target"],
            "last_modification_time": str(now),
        }
        if response.get("foci"):
            rt["family_id"] = response["foci"]
        entries.append((REFRESH_TOKEN, _with_assertion_hash(rt, event)))
    app_metadata = {"client_id": base["client_id"], "environment": base["environment"]}
    if response.get("foci"):
        app_metadata["family_id"] = response["foci"]
    entries.append((APP_METADATA, app_metadata))
    return entries


def _with_assertion_hash(entry: Entry, event: Dict[str, Any]) -> Entry:
    """On-behalf-of: note which incoming token the entry was obtained for."""
    if event.get("user_assertion_hash"):
        entry["user_assertion_hash"] = event["user_assertion_hash"]
    return entry


def _home_account_id(
    client_info: Optional[Dict[str, Any]], claims: Optional[Dict[str, Any]]
) -> Optional[str]:
    if client_info and client_info.get("uid") is not None and client_info.get("utid") is not None:
        return "{}.{}".format(client_info["uid"], client_info["utid"])
    if claims and claims.get("sub") is not None:
        return str(claims["sub"])
    return None


def _access_token(
    response: Dict[str, Any], data: Dict[str, Any], base: Entry, home: Optional[str], now: int
) -> Entry:
    expires_in = to_int(response.get("expires_in"), DEFAULT_EXPIRES_IN)
    expires_in = DEFAULT_EXPIRES_IN if expires_in is None else expires_in
    ext_expires_in = to_int(response.get("ext_expires_in"), expires_in)
    at = {
        "credential_type": ACCESS_TOKEN,
        "secret": response["access_token"],
        "home_account_id": home,
        "environment": base["environment"],
        "client_id": base["client_id"],
        "target": base["target"],
        "realm": base["realm"],
        "token_type": response.get("token_type", "Bearer"),
        "cached_at": str(now),
        "expires_on": str(now + expires_in),
        "extended_expires_on": str(now + (expires_in if ext_expires_in is None else ext_expires_in)),
    }
    refresh_in = to_int(response.get("refresh_in"))
    if refresh_in is not None:
        at["refresh_on"] = str(now + refresh_in)
    if data.get("key_id"):  # e.g. an SSH certificate's key
        at["key_id"] = data["key_id"]
    return at


def _account(claims: Dict[str, Any], data: Dict[str, Any], base: Entry, home: str) -> Entry:
    realm = base["realm"]
    return {
        "home_account_id": home,
        "environment": base["environment"],
        "realm": realm,
        "local_account_id": claims.get("oid", claims.get("sub")),
        "username": claims.get("preferred_username", claims.get("upn")) or data.get("username") or "",
        "authority_type": (
            AUTHORITY_ADFS if isinstance(realm, str) and realm.lower() == "adfs" else AUTHORITY_MSSTS
        ),
    }
