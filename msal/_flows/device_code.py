"""The device flow: Entra's side of the device authorization grant (RFC 8628).

The grant itself lives in :mod:`msal.oauth2cli.device_flow`; this module adds what the
application knows: the scopes it decorates, the endpoint Entra leaves out of some discovery
documents, telemetry, the cache, and the flow dict's private bookkeeping.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, MutableMapping, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from .._entra.discovery import Endpoints
from ..exceptions import UNSUPPORTED_DEVICE_FLOW
from ..oauth2cli import device_flow
from ..oauth2cli.oauth2 import Client
from . import redeem
from .context import AppContext
from ..oauth2cli.ids import random_uuid

DEVICE_CODE_GRANT: str = device_flow.GRANT_TYPE


def initiate(ctx: AppContext, scopes: Any, claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    """Ask for a device code; the flow dict gains ``expires_at`` and ``interval``. A claims
    challenge goes with the device authorization request (merged with the capabilities)."""
    decorated = redeem.user_scopes(ctx, scope_rules.validate(scopes or []))
    endpoint = device_authorization_endpoint(ctx.discovery.endpoints(ctx.config.authority))
    if not endpoint:
        return {
            "error": UNSUPPORTED_DEVICE_FLOW,
            "error_description": "This authority advertises no device authorization endpoint",
        }
    correlation_id = random_uuid()  # the polls reuse it, so one id covers the whole flow
    # The original sends its base headers and a client-request-id here, but no
    # x-client-current-telemetry: the wire stays the same.
    flow = device_flow.request_device_code(
        ctx.http,
        endpoint,
        ctx.config.client_id,
        decorated,
        headers=dict(ctx.config.base_headers, **{"client-request-id": correlation_id}),
        now=ctx.now,
        extra={"claims": redeem.claims(ctx, claims_challenge)},
    )
    if "error" not in flow:
        flow["_scope"] = decorated
        flow["_correlation_id"] = correlation_id
    return flow


def device_authorization_endpoint(endpoints: Endpoints) -> Optional[str]:
    """The advertised endpoint, else ``devicecode`` beside a token endpoint ending in ``/token``
    (Entra's layout; some discovery documents leave the device endpoint out)."""
    if endpoints.device_authorization_endpoint:
        return endpoints.device_authorization_endpoint
    base, slash, last = endpoints.token_endpoint.rstrip("/").rpartition("/")
    return base + "/devicecode" if slash and last == "token" else None


def acquire(
    ctx: AppContext,
    flow: Any,
    claims_challenge: Optional[str] = None,
    exit_condition: Optional[Callable[[Dict[str, Any]], bool]] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Dict[str, Any]:
    """Poll until the user approves, declines, the code expires, or ``flow["expires_at"]`` is set to 0."""
    if not isinstance(flow, dict) or not isinstance(flow.get("device_code"), str):
        raise ValueError("flow must be the dict returned by initiate_device_flow()")
    try:
        scope = scope_rules.validate(flow.get("_scope") or [], name="the flow's scopes")
    except TypeError as exc:
        raise ValueError("flow has been altered: {}".format(exc))
    device_flow.check_interval(flow.get("interval", device_flow.DEFAULT_INTERVAL))
    fields = {"device_code": flow["device_code"], "code": flow["device_code"]}
    correlation_id = flow.get("_correlation_id")
    if not isinstance(correlation_id, str):
        correlation_id = None

    def request_token() -> Dict[str, Any]:  # RFC 8628 §3.4: a poll names no scope
        return redeem.prepare(
            ctx,
            telemetry.DEVICE_FLOW,
            claims_challenge=claims_challenge,
            fields=fields,
            correlation_id=correlation_id,
        ).send(Client.obtain_token, DEVICE_CODE_GRANT, scope=(), unsent_scope=scope)

    def should_stop(_: MutableMapping[str, Any]) -> bool:
        return bool(exit_condition and exit_condition(flow))

    return device_flow.poll(flow, request_token, now=ctx.now, sleep=sleep, should_stop=should_stop)
