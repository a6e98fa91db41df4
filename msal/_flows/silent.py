"""Silent token acquisition: a cached access token, else a refresh with a cached refresh token."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from .._entra import scopes as scope_rules
from .._entra import telemetry
from ..authority import Authority
from .auth_code import id_token_validator
from .context import AppContext, from_network

logger = logging.getLogger(__name__)
FAMILY_ID = "1"
USER_ACTIONS = frozenset(["basic_action", "additional_action", "message_only",
                          "consent_required", "user_password_expired"])


def acquire(ctx: AppContext, scopes: Any, account: Optional[Dict[str, Any]],
            authority: Any = None, force_refresh: bool = False,
            claims_challenge: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The documented contract: a token dict, None when the cache has nothing, or an error dict."""
    scopes = scope_rules.for_cache_lookup(scopes)
    ctx.user_scopes(scopes)  # Rejects reserved scopes, as every user flow does
    target_authority = ctx.resolve_authority(authority)
    home_account_id = _home_account_id(account)
    cached, refresh_due = (None, False)
    if not (force_refresh or claims_challenge):
        cached, refresh_due = ctx.cached_access_token(
            scopes=scopes, home_account_id=home_account_id, authority=target_authority)
        if cached and not refresh_due:
            return cached
    if account is None:
        if cached is None:
            logger.debug("No account given, so no refresh token to try: returning None")
        return cached  # App-only tokens have no refresh token to fall back on

    def fetch() -> Optional[Dict[str, Any]]:
        if not (force_refresh or claims_challenge):
            latest, due = ctx.cached_access_token(
                scopes=scopes, home_account_id=home_account_id, authority=target_authority,
                recheck=True)
            if latest and not due:
                return latest  # Another caller refreshed it while this one waited
        reason = telemetry.FORCE_REFRESH if force_refresh or claims_challenge else \
            telemetry.REFRESH_DUE if cached else telemetry.EXPIRED if ctx.has_access_token(
                scopes=scopes, home_account_id=home_account_id, authority=target_authority) \
            else telemetry.NO_CACHED_TOKEN
        result = refresh(ctx, scopes, account, target_authority, reason, claims_challenge)
        if cached and (result is None or "error" in result):
            logger.info("Refresh failed (%s); the cached access token, still valid, is returned",
                        (result or {}).get("error", "no refresh token"))
            return cached
        return result
    key = ("refresh", home_account_id, target_authority.url, frozenset(scopes),
           bool(force_refresh), claims_challenge)
    result: Optional[Dict[str, Any]] = ctx.single_flight.run(key, fetch)
    return result


def refresh(ctx: AppContext, scopes: List[str], account: Dict[str, Any], authority: Authority,
            cache_info: int, claims_challenge: Optional[str]) -> Optional[Dict[str, Any]]:
    """Try each usable refresh token, the app's own first, then its family's (FOCI)."""
    home_account_id = account["home_account_id"]
    aliases = ctx.aliases(authority)
    candidates = ctx.cache.find_refresh_tokens(
        home_account_id=home_account_id, environments=aliases, client_id=ctx.client_id,
        family_id=_family_to_try(ctx, aliases))
    if not candidates:
        logger.info("No refresh token in the cache for account %s: returning None (sign the user "
                    "in interactively)", ctx.pii(home_account_id))
        return None
    endpoints = ctx.endpoints(authority)
    client = ctx.oauth_client(endpoints, authority=authority)
    headers = ctx.headers(telemetry.SILENT, cache_info, extra=_anchor(home_account_id))
    last_error: Optional[Dict[str, Any]] = None
    validate = id_token_validator(ctx, endpoints.issuer)  # also adds id_token_claims
    for number, rt in enumerate(candidates, 1):
        own = rt.get("client_id") == ctx.client_id
        logger.debug("Trying refresh token %d of %d: %s, for account %s", number, len(candidates),
                     "this app's own" if own else "the family's (FOCI, issued to client {})".format(
                         rt.get("client_id")), ctx.pii(home_account_id))
        result = client.obtain_token_by_refresh_token(
            rt["secret"], ctx.user_scopes(scopes),
            fields={"claims": ctx.claims(claims_challenge), "client_info": "1"}, headers=headers,
            validate=validate)
        if "error" not in result:
            logger.debug("Refresh token %d redeemed", number)
            return from_network(result)
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
    metadata = ctx.cache.find_app_metadata(client_id=ctx.client_id, environments=aliases)
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
