"""The exceptions MSAL raises.

Token requests that reach the identity provider return error *dicts*, as the API reference
documents; exceptions are for misuse and for answers the library cannot make sense of::

    ValueError                     (built-in: bad arguments, CSRF/state mismatch, bad authority)
    MsalError(Exception)
     └── MsalServiceError          an identity-provider answer that is not a usable token response
    IdTokenError(ValueError, RuntimeError)
                                   an ID token that fails validation (nonce, audience, expiry, ...);
                                   defined by the protocol layer, msal.oauth2cli.oidc
    BrowserInteractionTimeoutError(RuntimeError)
                                   the name later msal versions raise when the browser brings no
                                   answer in time; defined in msal.oauth2cli.oauth2, not raised here

Transport errors from the default HTTP client (``requests.exceptions.*``) pass through unchanged,
because applications written for the original library catch them.

An error dict's ``error`` is the identity provider's code (RFC 6749 §5.2, RFC 8628 §3.5, ...)
or one of the library's own, all listed here and nowhere else:

============================  ================================================================
``invalid_response``          an answer that is not a usable JSON object: HTML, truncated, a
                              redirect, or a success carrying no token
``http_error``                a JSON answer without an ``error`` but with a failing HTTP status
``unsupported_device_flow``   the authority advertises no device authorization endpoint
``timeout``                   no sign-in response reached the loopback listener in time
``federation_error``          the federated identity provider (WS-Trust) could not be used
============================  ================================================================
"""

from __future__ import annotations

from typing import Any, Optional

from .oauth2cli.http import HTTP_ERROR, INVALID_RESPONSE
from .oauth2cli.oauth2 import BrowserInteractionTimeoutError
from .oauth2cli.oidc import IdTokenError
from .oauth2cli.tolerant import tolerant

__all__ = ["MsalError", "MsalServiceError", "IdTokenError", "BrowserInteractionTimeoutError"]

UNSUPPORTED_DEVICE_FLOW = "unsupported_device_flow"
TIMEOUT = "timeout"
FEDERATION_ERROR = "federation_error"
LIBRARY_ERROR_CODES = frozenset(
    [INVALID_RESPONSE, HTTP_ERROR, UNSUPPORTED_DEVICE_FLOW, TIMEOUT, FEDERATION_ERROR]
)


class MsalError(Exception):
    """Base class of MSAL's own exceptions."""


class MsalServiceError(MsalError):
    """An answer from the identity provider that MSAL could not use."""

    def __init__(
        self, *args: Any, error: Optional[str] = None, error_description: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(*args)
        self.error = error
        self.error_description = error_description
        self.kwargs = kwargs

    @tolerant
    def __str__(self) -> str:
        if self.error:
            return "{}: {}".format(self.error, self.error_description or "")
        return super().__str__()
