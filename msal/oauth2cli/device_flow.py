"""The OAuth 2.0 device authorization grant (RFC 8628), free of any identity provider's specifics.

Pure functions build the device authorization request (§3.1), read its answer (§3.2) and
decide what each poll's answer means (§3.5). :func:`request_device_code` is the one network
step of its own; the polls are token requests (§3.4) sent by the caller's function, so they go
through :class:`~msal.oauth2cli.oauth2.Client` like every other grant. The clock and the sleep
are parameters, so the whole grant runs in tests without waiting.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Dict, Iterable, Mapping, MutableMapping, Optional

from .http import HttpClientProtocol, invalid_response, read_json_object

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"  # §3.4
DEFAULT_INTERVAL = 5  # §3.2: "If no value is provided, clients MUST use 5 as the default"
SLOW_DOWN_STEP = 5  # §3.5: each slow_down adds 5 seconds to the interval
DEFAULT_EXPIRES_IN = 900  # §3.2 makes expires_in REQUIRED; a server that omits it gets 15 min
MAX_INTERVAL = 3600
ABORT_CHECK_INTERVAL = 0.2  # how soon a wait notices that the caller has called the flow off
# §3.5 error codes of a poll: the first two mean "keep polling", the others end the grant
AUTHORIZATION_PENDING = "authorization_pending"
SLOW_DOWN = "slow_down"
ACCESS_DENIED = "access_denied"
EXPIRED_TOKEN = "expired_token"


def build_request(
    client_id: str, scope: Iterable[str], extra: Optional[Mapping[str, Optional[str]]] = None
) -> Dict[str, str]:
    """The device authorization request's form (§3.1); ``extra`` parameters (an identity
    provider's extensions, such as a ``claims`` request) go along when they have a value."""
    form = {"client_id": client_id, "scope": " ".join(scope)}
    form.update((k, v) for k, v in (extra or {}).items() if v)
    return form


def parse_response(answer: Dict[str, Any], now: float) -> Dict[str, Any]:
    """The device authorization response (§3.2) as a flow dict, or the error dict (§3.2 refers
    errors to RFC 6749 §5.2). The flow gains ``interval`` (seconds between polls) and
    ``expires_at`` (when polling stops: ``now`` + ``expires_in``)."""
    if "error" in answer:
        return answer
    if not isinstance(answer.get("device_code"), str):
        return invalid_response(
            "The device authorization endpoint answered without a device_code (RFC 8628 §3.2)."
        )
    flow = dict(answer)
    flow["interval"] = _positive_int(answer.get("interval"), DEFAULT_INTERVAL)
    flow["expires_at"] = now + _positive_int(answer.get("expires_in"), DEFAULT_EXPIRES_IN)
    return flow


def request_device_code(
    http_client: HttpClientProtocol,
    endpoint: str,
    client_id: str,
    scope: Iterable[str],
    headers: Dict[str, str],
    now: Callable[[], float] = time.time,
    extra: Optional[Mapping[str, Optional[str]]] = None,
) -> Dict[str, Any]:
    """POST the device authorization request (§3.1); the flow dict or an error dict (§3.2)."""
    resp = http_client.post(endpoint, data=build_request(client_id, scope, extra), headers=headers)
    return parse_response(read_json_object(resp, "the device authorization endpoint"), now())


def next_interval(interval: float, answer: Dict[str, Any]) -> Optional[float]:
    """Seconds to wait before the next poll, or None when a poll's answer ends the grant (§3.5):
    ``authorization_pending`` keeps the interval, ``slow_down`` adds 5 seconds, anything else
    (tokens, ``access_denied``, ``expired_token``, another error) is the outcome."""
    error = answer.get("error")
    if error == AUTHORIZATION_PENDING:
        return interval
    if error == SLOW_DOWN:
        return interval + SLOW_DOWN_STEP
    return None


def check_interval(interval: Any) -> float:
    """A flow's ``interval``, refused with ``ValueError`` unless a sane number of seconds."""
    if (
        isinstance(interval, bool)
        or not isinstance(interval, (int, float))
        or not 0 < interval < MAX_INTERVAL
    ):
        raise ValueError("flow['interval'] must be a positive number of seconds")
    return float(interval)


def poll(
    flow: MutableMapping[str, Any],
    request_token: Callable[[], Dict[str, Any]],
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    should_stop: Optional[Callable[[MutableMapping[str, Any]], bool]] = None,
) -> Dict[str, Any]:
    """Send token requests (§3.4) with ``request_token`` until one ends the grant (§3.5), the
    flow's ``expires_at`` passes, or ``should_stop(flow)`` is true; return the last answer.

    The flow dict is read afresh during every wait, so another thread setting
    ``flow["expires_at"] = 0`` (or making ``should_stop`` true) calls polling off promptly.
    """
    interval = check_interval(flow.get("interval", DEFAULT_INTERVAL))
    while True:
        answer = request_token()
        following = next_interval(interval, answer)
        if following is None or not _wait(flow, following, now, sleep, should_stop):
            return answer
        interval = following


def _wait(
    flow: MutableMapping[str, Any],
    seconds: float,
    now: Callable[[], float],
    sleep: Callable[[float], None],
    should_stop: Optional[Callable[[MutableMapping[str, Any]], bool]],
) -> bool:
    """Sleep ``seconds`` a little at a time; False as soon as the flow is over."""
    deadline = now() + seconds
    while True:
        expires_at = flow.get("expires_at")
        if not isinstance(expires_at, (int, float)) or not math.isfinite(expires_at) or now() >= expires_at:
            return False
        if should_stop and should_stop(flow):
            return False
        remaining = deadline - now()
        if remaining <= 0:
            return True
        sleep(min(remaining, ABORT_CHECK_INTERVAL))


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if number > 0 else default
