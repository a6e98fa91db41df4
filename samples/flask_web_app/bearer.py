"""Validate a bearer access token the way a protected web API must: signature against the
identity provider's published keys, then audience, issuer, expiry and (optionally) scope."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, Optional, Union

import jwt
import requests

LEEWAY = 60  # seconds of clock skew tolerated between the API and the identity provider
KEYS_REFETCH_INTERVAL = 300  # unknown key ids cannot make the API hammer the provider


class TokenRejected(Exception):
    """The token is missing or invalid (HTTP 401), or lacks the scope (HTTP 403)."""

    def __init__(self, error: str, description: str, status: int = 401):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class TokenValidator:
    """Checks tokens issued by one authority for one audience.

    The OIDC discovery document and the JWKS are fetched with `requests` and `verify`, so a
    private CA (such as the emulator's) is honoured; keys are fetched again once when a token
    names a key id not seen yet (the provider rotated its keys), at most every few minutes.
    """

    def __init__(
        self,
        authority: str,
        audience: str,
        required_scope: Optional[str] = None,
        verify: Union[bool, str] = True,
        timeout: float = 10,
    ):
        self.authority, self.audience, self.required_scope = authority, audience, required_scope
        self._verify, self._timeout = verify, timeout
        self._lock = threading.Lock()
        self._metadata: Optional[Dict[str, Any]] = None
        self._keys: Dict[str, jwt.PyJWK] = {}
        self._keys_fetched_at = -float("inf")

    def _get(self, url: str) -> Dict[str, Any]:
        response = requests.get(url, verify=self._verify, timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def metadata(self) -> Dict[str, Any]:
        """The provider's OpenID configuration (issuer, jwks_uri), fetched once."""
        with self._lock:
            if self._metadata is None:
                self._metadata = self._get(self.authority + "/v2.0/.well-known/openid-configuration")
            return self._metadata

    def _key(self, kid: str) -> jwt.PyJWK:
        stale = time.monotonic() - self._keys_fetched_at > KEYS_REFETCH_INTERVAL
        if kid not in self._keys and stale:
            jwks = self._get(self.metadata()["jwks_uri"])
            keys = {k["kid"]: jwt.PyJWK(k) for k in jwks.get("keys", []) if k.get("kid")}
            with self._lock:
                self._keys, self._keys_fetched_at = keys, time.monotonic()
        try:
            return self._keys[kid]
        except KeyError:
            raise TokenRejected("invalid_token", "The token is signed with an unknown key.")

    def claims(self, token: str) -> Dict[str, Any]:
        """The token's claims once every check has passed; TokenRejected otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            key = self._key(header.get("kid", ""))
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.audience,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"], "verify_iss": False},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenRejected("invalid_token", str(exc))
        self._check_issuer(claims)
        self._check_scope(claims)
        return claims

    def _check_issuer(self, claims: Dict[str, Any]) -> None:
        # A multi-tenant authority publishes "https://host/{tenantid}/v2.0" as its issuer.
        expected = self.metadata()["issuer"].replace("{tenantid}", str(claims.get("tid", "")))
        if claims["iss"] != expected:
            raise TokenRejected("invalid_token", "The token's issuer is not trusted.")

    def _check_scope(self, claims: Dict[str, Any]) -> None:
        if self.required_scope and self.required_scope not in claims.get("scp", "").split():
            raise TokenRejected(
                "insufficient_scope", "The token lacks the scope %s." % self.required_scope, 403
            )
