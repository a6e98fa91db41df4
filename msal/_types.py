"""The shapes of the dicts MSAL hands around, for type checkers.

The API returns plain dicts (as the original library does); these ``TypedDict`` s name their
keys so that a misspelt one is caught before it ships. Every key is optional
(``total=False``): a result is either a token response or an error, and the identity provider
may add keys of its own.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

from .oauth2cli.oauth2 import TokenEvent  # the protocol layer announces it

__all__ = ["TokenResult", "Account", "TokenEvent", "DeviceFlow", "AuthCodeFlow"]


class TokenResult(TypedDict, total=False):
    """A token response (RFC 6749 §5.1) or an error (§5.2), as the acquire_token_* calls return it."""

    access_token: str
    token_type: str
    expires_in: int
    ext_expires_in: int
    refresh_in: int
    refresh_token: str
    id_token: str
    id_token_claims: Dict[str, Any]
    scope: str
    client_info: str
    foci: str
    token_source: str  # "identity_provider" or "cache"
    error: str
    error_description: str
    error_codes: List[int]
    suberror: str
    claims: str
    correlation_id: str
    trace_id: str
    timestamp: str


class Account(TypedDict, total=False):
    """An account as ``get_accounts()`` lists it (the unified cache schema's Account entry)."""

    home_account_id: str
    environment: str
    realm: str
    local_account_id: str
    username: str
    authority_type: str
    account_source: str


class DeviceFlow(TypedDict, total=False):
    """``initiate_device_flow()``'s answer (RFC 8628 §3.2) with MSAL's bookkeeping."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int
    message: str
    expires_at: float  # set it to 0 to stop polling
    _scope: List[str]  # the decorated scopes the tokens are filed under
    _correlation_id: str  # one client-request-id for the whole flow
    error: str
    error_description: str


class AuthCodeFlow(TypedDict, total=False):
    """``initiate_auth_code_flow()``'s answer, to be given back with the redirect's parameters."""

    auth_uri: str
    state: str
    redirect_uri: Optional[str]
    scope: List[str]
    code_verifier: str
    nonce: str
    claims_challenge: Optional[str]
    max_age: int
    response_mode: str
