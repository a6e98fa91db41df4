"""The token request every grant shares: the endpoints, a protocol client whose tokens land in
the application's cache, the telemetry headers, the ``claims`` and ``client_info`` fields, the ID
token check, and marking the answer as coming from the identity provider.

Layering: a step of the flows (:mod:`msal._flows`), below them and above :mod:`msal.oauth2cli`
(the grants themselves) and :mod:`msal._entra` (claims, telemetry, discovery). Flows call
:func:`prepare` once, then :meth:`Redemption.send` with one grant method of
:class:`~msal.oauth2cli.oauth2.Client` per request (several for the silent flow's refresh tokens).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Mapping, Optional

from .._entra import claims as claims_rules
from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..authority import Authority
from ..exceptions import IdTokenError
from ..oauth2cli import oidc
from ..oauth2cli.oauth2 import Client, TokenEvent
from .context import AppContext

Grant = Callable[..., Dict[str, Any]]  # An unbound Client.obtain_token_* method


class Redemption(object):
    """One prepared token request: send it with :meth:`send`."""

    def __init__(
        self,
        client: Client,
        fields: Dict[str, Any],
        headers: Dict[str, str],
        validate: Callable[[Dict[str, Any]], None],
    ) -> None:
        self.client = client
        self.fields = fields
        self.headers = headers  # Read by flows that send other requests under its correlation id
        self.validate = validate

    def send(
        self, grant: Grant, *args: Any, extra_headers: Optional[Dict[str, str]] = None, **kwargs: Any
    ) -> Dict[str, Any]:
        """Run ``grant(client, *args, ...)``; the answer, marked by :func:`from_network`."""
        headers = dict(self.headers, **extra_headers) if extra_headers else self.headers
        return from_network(
            grant(self.client, *args, fields=self.fields, headers=headers, validate=self.validate, **kwargs)
        )


def prepare(
    ctx: AppContext,
    api_id: int,
    *,
    authority: Optional[Authority] = None,
    token_endpoint: Optional[str] = None,
    cache_info: int = telemetry.NOT_APPLICABLE,
    claims_challenge: Optional[str] = None,
    with_claims: bool = True,
    fields: Optional[Dict[str, Any]] = None,
    headers: Optional[Dict[str, str]] = None,
    correlation_id: Optional[str] = None,
    nonce: Optional[str] = None,
    max_age: Optional[int] = None,
) -> Redemption:
    """Everything a token request of flow ``api_id`` needs; the authority's endpoints are
    discovered here (once per application), as only a request that goes out needs them."""
    authority = authority or ctx.config.authority
    endpoints = ctx.discovery.endpoints(authority)
    client = protocol_client(ctx, authority, token_endpoint or endpoints.token_endpoint)
    form: Dict[str, Any] = {"claims": claims(ctx, claims_challenge)} if with_claims else {}
    form["client_info"] = "1"
    form.update(fields or {})
    sent = telemetry.request_headers(
        ctx.config.base_headers, api_id, cache_info, correlation_id, ctx.last_request, ctx.hits.count
    )
    sent.update(headers or {})
    return Redemption(client, form, sent, id_token_validator(ctx, endpoints.issuer, nonce, max_age))


def protocol_client(ctx: AppContext, authority: Authority, token_endpoint: str) -> Client:
    """A protocol client whose tokens land in this application's cache, filed under the
    authority's host (a regional token endpoint's host is not the cache's environment)."""
    environment = authority.environment

    def add_to_cache(event: TokenEvent) -> None:
        event.setdefault("environment", environment)
        ctx.cache.add(dict(event), now=ctx.now())

    def on_response(result: Dict[str, Any], headers: Mapping[str, str]) -> None:
        ctx.hits.count = 0  # The next request reports the hits from now on
        ctx.last_request.record(result, headers)

    return Client(
        ctx.http,
        ctx.config.client_id,
        token_endpoint,
        client_auth=ctx.client_auth,
        on_obtaining_tokens=add_to_cache,
        on_response=on_response,
    )


def user_scopes(ctx: AppContext, scopes: Any) -> List[str]:
    """The scopes a user flow asks for: the caller's plus the reserved ones not excluded."""
    return scope_rules.for_user_flow(scopes, ctx.config.exclude_scopes)


def claims(ctx: AppContext, claims_challenge: Optional[str]) -> Optional[str]:
    """The ``claims`` parameter: the app's capabilities merged with a resource's challenge."""
    return claims_rules.merge(ctx.config.capabilities, claims_challenge)


def id_token_validator(
    ctx: AppContext, issuer: Optional[str], nonce: Optional[str] = None, max_age: Optional[int] = None
) -> Callable[[Dict[str, Any]], None]:
    """A check run on a successful token response before it reaches the cache."""

    def validate(result: Dict[str, Any]) -> None:
        if "id_token" in result:
            decoded = oidc.decode_id_token(result["id_token"])
            oidc.validate_id_token(
                decoded,
                client_id=ctx.config.client_id,
                issuer=issuer,
                nonce=nonce,
                max_age=max_age,
                now=ctx.now(),
            )
            result["id_token_claims"] = decoded
        elif nonce is not None:
            raise IdTokenError("A nonce was sent but the response has no ID token to check")

    return validate


def from_network(result: Dict[str, Any]) -> Dict[str, Any]:
    """Mark a successful network result as such (errors are returned untouched). Its
    ``refresh_in`` becomes ``refresh_on`` (epoch seconds), as the cached token's and as later
    msal versions report it."""
    if "error" not in result:
        refresh_in = result.pop("refresh_in", None)
        result["token_source"] = "identity_provider"
        try:
            result["refresh_on"] = int(time.time()) + int(refresh_in)
        except (TypeError, ValueError, OverflowError):
            pass  # None, or nothing a number can be made of
    return result


def require_text(value: Any, message: str) -> None:
    """A grant's credential argument must be a non-empty string: ``ValueError`` otherwise."""
    if not isinstance(value, str) or not value:
        raise ValueError(message)
