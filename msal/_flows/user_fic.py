"""A user's token from a federated identity credential (the ``user_fic`` grant): an agent
presents its instance token and names the user it acts for."""

from __future__ import annotations

from typing import Any, Dict, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..oauth2cli.oauth2 import Client
from . import redeem
from .context import AppContext

GRANT_TYPE = "user_fic"


def acquire(
    ctx: AppContext,
    scopes: Any,
    assertion: Any,
    *,
    username: Optional[str] = None,
    user_object_id: Optional[str] = None,
    claims_challenge: Optional[str] = None,
) -> Dict[str, Any]:
    """Redeem the credential for the user named by UPN or by object id (exactly one)."""
    if not isinstance(assertion, str) or not assertion:
        raise ValueError("assertion is required: the federated identity credential, as a string")
    if username and user_object_id:
        raise ValueError("username and user_object_id are mutually exclusive")
    user = {"username": username} if username else {"user_id": user_object_id}
    if not all(isinstance(v, str) and v for v in user.values()):
        raise ValueError("Either username or user_object_id must be given, as a non-empty string")
    decorated = redeem.user_scopes(ctx, scope_rules.validate(scopes))
    return redeem.prepare(
        ctx,
        telemetry.USER_FIC,
        claims_challenge=claims_challenge,
        fields=dict(user, user_federated_identity_credential=assertion),
    ).send(Client.obtain_token, GRANT_TYPE, scope=decorated)
