"""Silent token acquisition: a cached access token, else a refresh with a cached refresh token."""

from __future__ import annotations

import logging

from typing import Any, Dict, List, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..authority import Authority, parse_authority
from ..oauth2cli.oauth2 import Client
from . import redeem
from .cache_first import Result, cached_or_fetch, cached_token, has_access_token, whose
from .context import AppContext

logger = logging.getLogger(__name__)
FAMILY_ID = "1"
USER_ACTIONS = frozenset(
    ["basic_action", "additional_action", "message_only", "consent_required", "user_password_expired"]
)


def acquire(
    ctx: AppContext,
    scopes: Any,
    account: Optional[Dict[str, Any]],
    authority: Any = None,
    force_refresh: bool = False,
    claims_challenge: Optional[str] = None,
) -> Result:
    """The documented contract: a token dict, None when the cache has nothing, or an error dict."""
    scopes = scope_rules.refuse_reserved(scope_rules.for_cache_lookup(scopes))  # as user flows do
    given = None if authority is None else parse_authority(authority)  # None: the app's own
    home_account_id = _home_account_id(account)
    use_cache = not (force_refresh or claims_challenge)
    if account is None:  # App-only tokens have no refresh token to fall back on
        found = cached_token(ctx, scopes, None, given)[0] if use_cache else None
        if found is None:
            logger.debug("No account given, so no refresh token to try: returning None")
        return found
    return cached_or_fetch(
        ctx,
        scopes,
        home_account_id,
        given,
        _fetch,
        (home_account_id, ctx.config.authority if given is None else given, force_refresh, claims_challenge),
        use_cache=use_cache,
    )


def _fetch(
    ctx: AppContext,
    scopes: List[str],
    cached: Result,
    home_account_id: Optional[str],
    authority: Authority,
    force_refresh: bool,
    claims_challenge: Optional[str],
) -> Result:
    """The refresh, telling the service why it happens."""
    reason = (
        telemetry.FORCE_REFRESH
        if force_refresh or claims_challenge
        else telemetry.REFRESH_DUE
        if cached
        else telemetry.EXPIRED
        if has_access_token(ctx, scopes, home_account_id, authority)
        else telemetry.NO_CACHED_TOKEN
    )
    return refresh(ctx, scopes, str(home_account_id), authority, reason, claims_challenge)


def refresh(
    ctx: AppContext,
    scopes: List[str],
    home_account_id: str,
    authority: Authority,
    cache_info: int,
    claims_challenge: Optional[str],
) -> Result:
    """Try each usable refresh token, the app's own first, then its family's (FOCI)."""
    aliases = ctx.discovery.aliases(authority)
    candidates = ctx.cache.find_refresh_tokens(
        home_account_id=home_account_id,
        environments=aliases,
        client_id=ctx.config.client_id,
        family_id=_family_to_try(ctx, aliases),
    )
    if not candidates:
        logger.info(
            "No refresh token in the cache for %s: returning None (sign the user in interactively)",
            whose(ctx, home_account_id),
        )
        return None
    request = redeem.prepare(
        ctx,
        telemetry.SILENT,
        authority=authority,
        cache_info=cache_info,
        claims_challenge=claims_challenge,
        headers=_anchor(home_account_id),
    )
    last_error: Result = None
    for number, rt in enumerate(candidates, 1):
        own = rt.get("client_id") == ctx.config.client_id
        logger.debug(
            "Trying refresh token %d of %d: %s, for %s",
            number,
            len(candidates),
            "this app's own"
            if own
            else "the family's (FOCI, issued to client {})".format(rt.get("client_id")),
            whose(ctx, home_account_id),
        )
        result = request.send(
            Client.obtain_token_by_refresh_token, rt["secret"], redeem.user_scopes(ctx, scopes)
        )
        if "error" not in result:
            logger.debug("Refresh token %d redeemed", number)
            return result
        if not own and result.get("error") == "invalid_grant":
            logger.debug("The family refresh token was refused: this app is not in the family")
            continue  # Another app's family token refused: this app is not in the family
        last_error = _classified(result)
        if result.get("error") not in ("invalid_grant", "interaction_required"):
            break  # A service or client problem: another refresh token would fare no better
    return last_error


def _classified(error: Dict[str, Any]) -> Dict[str, Any]:
    """A failed refresh's ``classification``: what the user must do, when the ``suberror`` says
    so (``""`` for a suberror that asks nothing of the user), as the original library reports."""
    suberror = error.get("suberror")
    if suberror is not None:
        error["classification"] = suberror if suberror in USER_ACTIONS else ""
    return error


def _family_to_try(ctx: AppContext, aliases: Any) -> Optional[str]:
    """The FOCI family, unless this app is known to be outside it."""
    metadata = ctx.cache.find_app_metadata(client_id=ctx.config.client_id, environments=aliases)
    if metadata is not None and not metadata.get("family_id"):
        return None
    return FAMILY_ID


def _home_account_id(account: Optional[Dict[str, Any]]) -> Optional[str]:
    if account is None:
        return None
    if not isinstance(account, dict) or not account.get("home_account_id"):
        raise ValueError("account must be one of the dicts returned by get_accounts(), or None")
    return str(account["home_account_id"])


def _anchor(home_account_id: str) -> Dict[str, str]:
    """The CCS routing hint for a known account: ``Oid:<uid>@<utid>``."""
    uid, _, utid = home_account_id.partition(".")
    return {"X-AnchorMailbox": "Oid:{}@{}".format(uid, utid)} if uid and utid else {}
