"""An in-process identity provider for the benchmarks: an ``http_client`` that answers
OpenID Connect discovery, instance discovery and token requests with Entra-shaped JSON,
plus generators of token events and of big cache states.

Standard library only: every implementation's worker imports it.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, Dict, Iterator, List, Optional
from urllib.parse import parse_qsl, urlparse

HOST = "login.microsoftonline.com"
CLIENT_ID = "5f7e2e8c-0d1b-4b5e-9a3c-2f1e0d9c8b7a"
USER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
USER_SCOPES = ["User.Read", "Mail.Read", "Calendars.Read"]
# Real Entra tokens are long; sizes close to theirs keep the serialized cache realistic.
ACCESS_TOKEN_SIZE = 1500
REFRESH_TOKEN_SIZE = 1100


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _padding(seed: str, size: int) -> str:
    unit = b64url(seed.encode()) or "x"
    return (unit * (size // len(unit) + 1))[:size]


def tenant_id(n: int) -> str:
    return "%08x-0000-4000-8000-%012x" % (n, n)


def resource_scope(n: int) -> str:
    return "https://api%d.contoso.example/.default" % n


def access_token(seed: str) -> str:
    header = b64url(b'{"typ":"JWT","alg":"RS256","kid":"bench"}')
    return header + "." + _padding(seed, ACCESS_TOKEN_SIZE - len(header) - 44) + "." + "s" * 43


def refresh_token(uid: str) -> str:
    return "rt~" + uid + "~" + _padding(uid, REFRESH_TOKEN_SIZE)


def uid_of(n: int) -> str:
    return "%08x-1111-4222-8333-%012x" % (n, n)


def username_of(n: int) -> str:
    return "user%05d@contoso.example" % n


def id_token(uid: str, username: str, tid: str, client_id: str, now: int) -> str:
    claims = {
        "aud": client_id,
        "iss": "https://%s/%s/v2.0" % (HOST, tid),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": "User " + username.split("@")[0],
        "oid": uid,
        "preferred_username": username,
        "sub": "sub-" + uid,
        "tid": tid,
        "ver": "2.0",
        "rh": "0.AAAA" + _padding(uid, 40),
        "uti": _padding(uid, 22),
    }
    return (
        b64url(b'{"typ":"JWT","alg":"RS256","kid":"bench"}')
        + "."
        + b64url(json.dumps(claims).encode())
        + "."
        + "s" * 342
    )


def client_info(uid: str, utid: str) -> str:
    return b64url(json.dumps({"uid": uid, "utid": utid}).encode())


def user_token_response(
    uid: str, username: str, client_id: str, scopes: List[str], now: int
) -> Dict[str, Any]:
    return {
        "token_type": "Bearer",
        "scope": " ".join(scopes + ["openid", "profile", "offline_access"]),
        "expires_in": 4799,
        "ext_expires_in": 4799,
        "access_token": access_token(uid + "".join(scopes)),
        "refresh_token": refresh_token(uid),
        "id_token": id_token(uid, username, USER_TENANT, client_id, now),
        "client_info": client_info(uid, USER_TENANT),
    }


def app_token_response(seed: str) -> Dict[str, Any]:
    return {
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": access_token(seed),
    }


# ---------------------------------------------------------------- events and states


def token_endpoint(tenant: str) -> str:
    return "https://%s/%s/oauth2/v2.0/token" % (HOST, tenant)


def event(
    tenant: str,
    scopes: List[str],
    grant_type: str,
    response: Dict[str, Any],
    data: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """An event shaped like the one the protocol layer hands to ``TokenCache.add``."""
    return {
        "client_id": CLIENT_ID,
        "scope": list(scopes),
        "token_endpoint": token_endpoint(tenant),
        "grant_type": grant_type,
        "response": response,
        "params": {},
        "data": dict(data or {}, client_id=CLIENT_ID, grant_type=grant_type, scope=" ".join(scopes)),
    }


def app_token_events(tenants: int, tokens_per_tenant: int) -> Iterator[Dict[str, Any]]:
    for t in range(tenants):
        for s in range(tokens_per_tenant):
            yield event(
                tenant_id(t), [resource_scope(s)], "client_credentials", app_token_response("%d-%d" % (t, s))
            )


def user_events(accounts: int, now: Optional[int] = None) -> Iterator[Dict[str, Any]]:
    now = int(time.time()) if now is None else now
    for n in range(accounts):
        yield event(
            USER_TENANT,
            USER_SCOPES,
            "authorization_code",
            user_token_response(uid_of(n), username_of(n), CLIENT_ID, USER_SCOPES, now),
        )


# ---------------------------------------------------------------- the HTTP client


class FakeResponse(object):
    """What an ``http_client`` returns: status_code, text and headers."""

    def __init__(self, status_code: int, payload: Dict[str, Any]) -> None:
        self.status_code = status_code
        self.text = json.dumps(payload)
        self.headers = {"Content-Type": "application/json; charset=utf-8"}

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError("HTTP %d" % self.status_code)


def _form(data: Any) -> Dict[str, str]:
    """A token request's form, whether the client posted a dict or an encoded body."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if isinstance(data, str):
        return dict(parse_qsl(data))
    return {str(name): str(value) for name, value in dict(data or {}).items()}


class FakeIdentityProvider(object):
    """An ``http_client`` speaking the Entra v2.0 wire format, without a network."""

    def __init__(self) -> None:
        self.posts = 0
        self.gets = 0

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> FakeResponse:
        self.gets += 1
        parsed = urlparse(url)
        if parsed.path.endswith("/discovery/instance"):
            return FakeResponse(
                200,
                {
                    "tenant_discovery_endpoint": "https://%s/common/v2.0/.well-known/openid-configuration"
                    % HOST,
                    "api-version": "1.1",
                    "metadata": [
                        {
                            "preferred_network": HOST,
                            "preferred_cache": "login.windows.net",
                            "aliases": [HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
                        }
                    ],
                },
            )
        if parsed.path.endswith("/.well-known/openid-configuration"):
            tenant = parsed.path.strip("/").split("/")[0]
            base = "https://%s/%s" % (parsed.hostname, tenant)
            return FakeResponse(
                200,
                {
                    "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                    "token_endpoint": base + "/oauth2/v2.0/token",
                    "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
                    "issuer": "https://%s/%s/v2.0" % (parsed.hostname, tenant),
                    "jwks_uri": base + "/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                    "scopes_supported": ["openid", "profile", "email", "offline_access"],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_post",
                        "private_key_jwt",
                        "client_secret_basic",
                    ],
                    "tenant_region_scope": "NA",
                    "cloud_instance_name": "microsoftonline.com",
                },
            )
        return FakeResponse(404, {"error": "not_found"})

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> FakeResponse:
        self.posts += 1
        form = _form(data)
        scopes = [
            s for s in form.get("scope", "").split() if s not in ("openid", "profile", "offline_access")
        ]
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return FakeResponse(200, app_token_response(" ".join(scopes)))
        if grant == "refresh_token":
            uid = form.get("refresh_token", "").split("~")[1]
            n = int(uid.split("-")[0], 16)
            return FakeResponse(
                200,
                user_token_response(
                    uid, username_of(n), form.get("client_id", CLIENT_ID), scopes, int(time.time())
                ),
            )
        return FakeResponse(
            400,
            {"error": "unsupported_grant_type", "error_description": "AADSTS70003: unsupported grant type"},
        )
