"""On-behalf-of (a web API gets a token to a downstream API for the user who called it)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..oauth2cli.oauth2 import Client
from . import redeem
from .context import AppContext

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def acquire(ctx: AppContext, user_assertion: Any, scopes: Any,
            claims_challenge: Optional[str] = None) -> Dict[str, Any]:
    """Exchange the token this middle tier received for one to a downstream API."""
    redeem.require_text(user_assertion, "user_assertion must be the incoming access token, as a string")
    decorated = redeem.user_scopes(ctx, scope_rules.validate(scopes))
    return redeem.prepare(
        ctx, telemetry.ON_BEHALF_OF, claims_challenge=claims_challenge,
        fields={"requested_token_use": "on_behalf_of"},
    ).send(Client.obtain_token_by_assertion, user_assertion, JWT_BEARER, decorated)
