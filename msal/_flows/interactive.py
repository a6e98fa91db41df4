"""Interactive sign-in in the system browser, with a loopback redirect listener."""

from __future__ import annotations

import logging
import sys
import webbrowser
from typing import Any, Callable, Dict, List, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..exceptions import TIMEOUT
from ..oauth2cli.authcode import LoopbackListener
from . import auth_code
from .context import AppContext

logger = logging.getLogger(__name__)


def acquire(
    ctx: AppContext,
    used: auth_code.UsedStates,
    scopes: Any,
    *,
    prompt: Optional[str] = None,
    login_hint: Optional[str] = None,
    domain_hint: Optional[str] = None,
    claims_challenge: Optional[str] = None,
    timeout: Optional[float] = None,
    port: Optional[int] = None,
    extra_scopes_to_consent: Optional[List[str]] = None,
    max_age: Optional[int] = None,
    on_before_launching_ui: Optional[Callable[..., Any]] = None,
    extra: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Open the browser on the authorize URL, wait for the redirect, redeem the code."""
    scopes = scope_rules.validate(scopes)
    extra_scopes = scope_rules.validate(extra_scopes_to_consent or [], "extra_scopes_to_consent")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535):
        raise ValueError("port must be an integer between 0 and 65535")
    with LoopbackListener(port) as listener:
        flow = auth_code.initiate(
            ctx,
            scopes + extra_scopes,
            redirect_uri=listener.redirect_uri,
            prompt=prompt,
            login_hint=login_hint,
            domain_hint=domain_hint,
            claims_challenge=claims_challenge,
            max_age=max_age,
            extra=extra,
        )
        flow["scope"] = scopes  # Consent covers the extra scopes; the token is for these
        if on_before_launching_ui:
            on_before_launching_ui(ui="browser")
        _open_browser(flow["auth_uri"])
        response = listener.wait_for_response(flow["state"], timeout)
    if response is None:
        return {
            "error": TIMEOUT,
            "error_description": "No sign-in response arrived within {} seconds".format(timeout),
        }
    return auth_code.acquire_by_flow(ctx, used, flow, response, api_id=telemetry.INTERACTIVE)


def _open_browser(url: str) -> None:
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        print("Could not open a browser. Visit this URL to sign in:\n" + url, file=sys.stderr)
