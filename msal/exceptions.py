"""The exceptions MSAL raises.

Token requests that reach the identity provider return error *dicts*, as the API reference
documents; exceptions are for misuse and for answers the library cannot make sense of::

    ValueError                     (built-in: bad arguments, CSRF/state mismatch, bad authority)
    MsalError(Exception)
     └── MsalServiceError          an identity-provider answer that is not a usable token response
    IdTokenError(ValueError, RuntimeError)
                                   an ID token that fails validation (nonce, audience, expiry, ...);
                                   defined by the protocol layer, msal.oauth2cli.oidc

Transport errors from the default HTTP client (``requests.exceptions.*``) pass through unchanged,
because applications written for the original library catch them.
"""
from __future__ import annotations

from typing import Any, Optional

from .oauth2cli.oidc import IdTokenError

__all__ = ["MsalError", "MsalServiceError", "IdTokenError"]


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

