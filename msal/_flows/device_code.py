"""The device authorization grant (RFC 8628)."""
from __future__ import annotations

import math
import time
import uuid
from typing import Any, Callable, Dict, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from .._entra.discovery import Endpoints
from ..oauth2cli import jsontext
from ..oauth2cli.http import redirect_of
from ..oauth2cli.oauth2 import Client
from . import redeem
from .context import AppContext

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5
ABORT_CHECK_INTERVAL = 0.2


def initiate(ctx: AppContext, scopes: Any) -> Dict[str, Any]:
    """Ask for a device code; the flow dict gains ``expires_at`` and ``interval``."""
    decorated = redeem.user_scopes(ctx, scope_rules.validate(scopes or []))
    endpoint = device_authorization_endpoint(ctx.discovery.endpoints(ctx.config.authority))
    if not endpoint:
        return {"error": "unsupported_device_flow",
                "error_description": "This authority advertises no device authorization endpoint"}
    correlation_id = str(uuid.uuid4())  # the polls reuse it, so one id covers the whole flow
    resp = ctx.http.post(
        endpoint,
        data={"client_id": ctx.config.client_id, "scope": " ".join(decorated)},
        headers=dict(ctx.config.base_headers, **{"client-request-id": correlation_id}))
    redirect = redirect_of(resp)
    if redirect:
        return {"error": "invalid_response", "error_description":
                "The device authorization endpoint answered with {}".format(redirect)}
    try:
        flow = jsontext.loads(resp.text)
    except ValueError:
        flow = None
    if not isinstance(flow, dict):
        return {"error": "invalid_response",
                "error_description": "The device authorization endpoint answered HTTP {} with a "
                                     "body that is not a JSON object".format(resp.status_code)}
    if "error" in flow or "device_code" not in flow:
        flow.setdefault("error", "invalid_response")
        return flow
    flow["interval"] = _positive_int(flow.get("interval"), DEFAULT_INTERVAL)
    flow["expires_at"] = ctx.now() + _positive_int(flow.get("expires_in"), 900)
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


def acquire(ctx: AppContext, flow: Any, claims_challenge: Optional[str] = None,
            exit_condition: Optional[Callable[[Dict[str, Any]], bool]] = None,
            sleep: Callable[[float], None] = time.sleep) -> Dict[str, Any]:
    """Poll until the user approves, declines, the code expires, or ``flow["expires_at"]`` is set to 0."""
    if not isinstance(flow, dict) or not isinstance(flow.get("device_code"), str):
        raise ValueError("flow must be the dict returned by initiate_device_flow()")
    try:
        scope = scope_rules.validate(flow.get("_scope") or [], name="the flow's scopes")
    except TypeError as exc:
        raise ValueError("flow has been altered: {}".format(exc))
    interval = flow.get("interval", DEFAULT_INTERVAL)
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) \
            or not 0 < interval < 3600:
        raise ValueError("flow['interval'] must be a positive number of seconds")
    fields = {"device_code": flow["device_code"], "code": flow["device_code"]}
    correlation_id = flow.get("_correlation_id")
    if not isinstance(correlation_id, str):
        correlation_id = None
    while True:
        result = redeem.prepare(  # RFC 8628 §3.4: a poll names no scope
            ctx, telemetry.DEVICE_FLOW, claims_challenge=claims_challenge, fields=fields,
            correlation_id=correlation_id,
        ).send(Client.obtain_token, DEVICE_CODE_GRANT, scope=(), unsent_scope=scope)
        error = result.get("error")
        if error not in ("authorization_pending", "slow_down"):
            return result
        if error == "slow_down":
            interval += 5  # RFC 8628 §3.5
        if not _wait(ctx, flow, interval, exit_condition, sleep):
            return result


def _wait(ctx: AppContext, flow: Dict[str, Any], seconds: float,
          exit_condition: Optional[Callable[[Dict[str, Any]], bool]],
          sleep: Callable[[float], None]) -> bool:
    """Sleep before the next poll, a little at a time, so that another thread setting
    ``flow["expires_at"] = 0`` (or an ``exit_condition``) stops polling promptly."""
    deadline = ctx.now() + seconds
    while True:
        expires_at = flow.get("expires_at")
        if not isinstance(expires_at, (int, float)) or not math.isfinite(expires_at) \
                or ctx.now() >= expires_at:
            return False
        if exit_condition and exit_condition(flow):
            return False
        remaining = deadline - ctx.now()
        if remaining <= 0:
            return True
        sleep(min(remaining, ABORT_CHECK_INTERVAL))


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if number > 0 else default
