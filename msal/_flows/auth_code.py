"""The authorization code flow (RFC 6749 §4.1) with PKCE, state and nonce."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Dict, Mapping, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..oauth2cli import pkce
from ..oauth2cli.oauth2 import Client, build_auth_request_uri
from ..token_cache import decode_client_info
from . import redeem
from .context import AppContext

RESPONSE_MODES = ("query", "form_post", "fragment")


def authorization_request_url(
    ctx: AppContext,
    scopes: Any,
    *,
    redirect_uri: Optional[str] = None,
    response_type: str = "code",
    state: Optional[str] = None,
    nonce: Optional[str] = None,
    prompt: Optional[str] = None,
    login_hint: Optional[str] = None,
    domain_hint: Optional[str] = None,
    claims_challenge: Optional[str] = None,
    extra: Optional[Mapping[str, Any]] = None,
) -> str:
    """The URL to send the user to (``get_authorization_request_url``)."""
    params: Dict[str, Any] = dict(extra or {})
    params.update(
        {
            "client_id": ctx.config.client_id,
            "response_type": response_type,
            "redirect_uri": redirect_uri,
            "scope": " ".join(redeem.user_scopes(ctx, scopes)),
            "state": state,
            "nonce": nonce,
            "prompt": prompt,
            "login_hint": login_hint,
            "domain_hint": domain_hint,
            "claims": redeem.claims(ctx, claims_challenge),
        }
    )
    endpoints = ctx.discovery.endpoints(ctx.config.authority)
    return build_auth_request_uri(endpoints.authorization_endpoint, params)


def initiate(
    ctx: AppContext,
    scopes: Any,
    *,
    redirect_uri: Optional[str] = None,
    state: Optional[str] = None,
    prompt: Optional[str] = None,
    login_hint: Optional[str] = None,
    domain_hint: Optional[str] = None,
    claims_challenge: Optional[str] = None,
    max_age: Optional[int] = None,
    response_mode: Optional[str] = None,
    extra: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """A JSON-serialisable flow dict whose ``auth_uri`` carries PKCE S256, state and a hashed nonce."""
    scopes = scope_rules.validate(scopes)
    if response_mode is not None and response_mode not in RESPONSE_MODES:
        raise ValueError("response_mode must be one of {}".format(RESPONSE_MODES))
    if max_age is not None and (not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0):
        raise ValueError("max_age must be a non-negative integer number of seconds")
    import secrets  # (on a sign-in only: not part of every import of msal)

    state = state or secrets.token_urlsafe(16)
    nonce = secrets.token_urlsafe(16)
    verifier, challenge = pkce.new_verifier_and_challenge()
    params = dict(extra or {})
    params.update(
        {
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "max_age": max_age,
            "response_mode": response_mode,
            "client_info": "1",
        }
    )
    if login_hint:  # the CCS routing hint, as a query parameter
        params["X-AnchorMailbox"] = "UPN:{}".format(login_hint)
    auth_uri = authorization_request_url(
        ctx,
        scopes,
        redirect_uri=redirect_uri,
        state=state,
        nonce=_hash(nonce),
        prompt=prompt,
        login_hint=login_hint,
        domain_hint=domain_hint,
        claims_challenge=claims_challenge,
        extra=params,
    )
    flow: Dict[str, Any] = {
        "auth_uri": auth_uri,
        "state": state,
        "redirect_uri": redirect_uri,
        "scope": redeem.user_scopes(ctx, scopes),
        "code_verifier": verifier,
        "nonce": nonce,
        "claims_challenge": claims_challenge,
    }
    flow.update((k, v) for k, v in (("max_age", max_age), ("response_mode", response_mode)) if v is not None)
    return flow


class UsedStates(object):
    """States of flows already redeemed by this application, so a flow works once."""

    def __init__(self, capacity: int = 10000) -> None:
        self._states: "OrderedDict[str, None]" = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def claim(self, state: str) -> bool:
        """Record ``state``; False when it was already used."""
        with self._lock:
            if state in self._states:
                return False
            self._states[state] = None
            if len(self._states) > self._capacity:
                self._states.popitem(last=False)
            return True


def acquire_by_flow(
    ctx: AppContext,
    used: UsedStates,
    flow: Any,
    auth_response: Any,
    scopes: Any = None,
    api_id: int = telemetry.AUTH_CODE,
) -> Dict[str, Any]:
    """Check the response against the flow (CSRF), then redeem the code."""
    if not isinstance(flow, dict) or not flow.get("state") or not flow.get("code_verifier"):
        raise ValueError("auth_code_flow must be the dict returned by initiate_auth_code_flow()")
    if not isinstance(auth_response, Mapping):
        raise ValueError("auth_response must be a dict of the parameters the authority sent back")
    if auth_response.get("state") != flow["state"]:
        raise ValueError(
            "state mismatch: this response does not belong to this flow "
            "(a CSRF attempt, or a stale browser tab)"
        )
    if auth_response.get("error"):
        return {k: v for k, v in auth_response.items() if k != "state"}
    if not auth_response.get("code"):
        raise ValueError("auth_response contains neither a code nor an error")
    if not used.claim(flow["state"]):
        raise ValueError("This auth code flow has already been used; start a new one")
    if scopes is None:  # the flow holds the decorated scopes; redeem_code decorates again
        scopes = [s for s in flow.get("scope") or [] if s not in scope_rules.RESERVED_SCOPES]
    return redeem_code(
        ctx,
        auth_response["code"],
        scopes,
        redirect_uri=flow.get("redirect_uri"),
        code_verifier=flow["code_verifier"],
        expected_nonce=_hash(flow["nonce"]) if flow.get("nonce") else None,
        max_age=flow.get("max_age"),
        claims_challenge=flow.get("claims_challenge"),
        api_id=api_id,
        headers=anchor_of(auth_response.get("client_info")),
    )


def redeem_code(
    ctx: AppContext,
    code: str,
    scopes: Any,
    *,
    redirect_uri: Optional[str] = None,
    code_verifier: Optional[str] = None,
    expected_nonce: Optional[str] = None,
    max_age: Optional[int] = None,
    claims_challenge: Optional[str] = None,
    api_id: int = telemetry.AUTH_CODE,
    headers: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    """The second half of the flow; the ID token is checked before anything is cached."""
    if not isinstance(code, str) or not code:
        raise ValueError("code must be the non-empty authorization code string")
    decorated = redeem.user_scopes(ctx, scopes)
    return redeem.prepare(
        ctx, api_id, claims_challenge=claims_challenge, headers=headers, nonce=expected_nonce, max_age=max_age
    ).send(
        Client.obtain_token_by_authorization_code,
        code,
        decorated,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
    )


def anchor_of(client_info: Any) -> Dict[str, str]:
    """The CCS routing hint ``Oid:<uid>@<utid>`` from the ``client_info`` of an auth response."""
    info = decode_client_info(client_info) or {}
    uid, utid = info.get("uid"), info.get("utid")
    if not (isinstance(uid, str) and uid and isinstance(utid, str) and utid):
        return {}
    return {"X-AnchorMailbox": "Oid:{}@{}".format(uid, utid)}


def _hash(nonce: str) -> str:
    import hashlib  # (on a sign-in only: not part of every import of msal)

    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()
