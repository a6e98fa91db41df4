"""Refresh-token migration: a refresh token obtained elsewhere, redeemed into this app's cache."""

from __future__ import annotations

from typing import Any, Dict

from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..oauth2cli.oauth2 import Client
from . import redeem
from .context import AppContext


def acquire(ctx: AppContext, refresh_token: Any, scopes: Any) -> Dict[str, Any]:
    """Migrate a refresh token obtained elsewhere into this application's cache."""
    redeem.require_text(refresh_token, "refresh_token must be a non-empty string")
    decorated = redeem.user_scopes(ctx, scope_rules.validate(scopes))
    return redeem.prepare(  # A migration sends no claims, not even the app's capabilities
        ctx,
        telemetry.REFRESH_TOKEN,
        cache_info=telemetry.FORCE_REFRESH,
        with_claims=False,
    ).send(Client.obtain_token_by_refresh_token, refresh_token, decorated)
