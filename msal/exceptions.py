"""The exceptions MSAL raises.

Token requests that reach the identity provider return error *dicts*, as the API reference
documents; exceptions are for misuse and for answers the library cannot make sense of::

    ValueError                     (built-in: bad arguments, CSRF/state mismatch, bad authority)
    MsalError(Exception)
     └── MsalServiceError          an identity-provider answer that is not a usable token response
    IdTokenError(ValueError, RuntimeError, MsalError)
                                   an ID token that fails validation (nonce, audience, expiry, ...)
    BrowserInteractionTimeoutError(RuntimeError)
                                   no answer from the browser in time (later msal versions)

Transport errors from the default HTTP client (``requests.exceptions.*``) pass through unchanged,
because applications written for the original library catch them.
"""
from __future__ import annotations

from typing import Any, Dict, Optional


class MsalError(Exception):
    """Base class of MSAL's own exceptions."""


class MsalServiceError(MsalError):
    """An answer from the identity provider that MSAL could not use."""

    def __init__(self, *args: Any, error: Optional[str] = None,
                 error_description: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(*args)
        self.error = error
        self.error_description = error_description
        self.kwargs = kwargs

    def __str__(self) -> str:
        if self.error:
            return "{}: {}".format(self.error, self.error_description or "")
        return super().__str__()


class IdTokenError(ValueError, RuntimeError, MsalError):
    """An ID token failed validation; the tokens that came with it were not cached.

    A ``ValueError`` as this package has always raised it, and a ``RuntimeError`` as later
    msal versions raise it, so handlers written for either catch it. ``now`` and ``claims``
    (the later versions' signature) add the clock and the token's timing claims to the message.
    """

    def __init__(self, reason: str, now: Optional[float] = None,
                 claims: Optional[Dict[str, Any]] = None) -> None:
        if now is not None or claims is not None:
            reason = "{} Current epoch = {}. The ID token's aud, iat and exp: {}".format(
                reason, now, {k: (claims or {}).get(k) for k in ("aud", "iat", "exp")})
        super().__init__(reason)


class BrowserInteractionTimeoutError(RuntimeError):
    """The browser did not bring a sign-in answer back in time."""
