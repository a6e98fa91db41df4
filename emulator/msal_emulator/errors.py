"""Errors shaped like Entra ID's: an OAuth2 error plus AADSTS code, trace and correlation ids."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Callable, Dict, Optional

ERROR_URI = "https://login.microsoftonline.com/error?code=%d"


class EntraError(Exception):
    """Raised by endpoint code; the server turns it into Entra's JSON error answer."""

    prefix = "AADSTS"

    def __init__(self, error: str, code: int, text: str, status: int = 400, **extra: Any):
        super().__init__("%s%d: %s" % (self.prefix, code, text))
        self.error, self.code, self.text, self.status, self.extra = error, code, text, status, extra


class B2CError(EntraError):
    """An Azure AD B2C error: an AADB2C code, and B2C's shorter body (no error_codes)."""

    prefix = "AADB2C"


def _timestamp(now: float) -> str:
    return datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def error_body(err: EntraError, now: float, correlation_id: Optional[str] = None) -> Dict[str, Any]:
    """The JSON body Entra sends for a failed request."""
    trace_id = str(uuid.uuid4())
    correlation_id = correlation_id or str(uuid.uuid4())
    stamp = _timestamp(now)
    if isinstance(err, B2CError):
        return {
            "error": err.error,
            "error_description": "AADB2C%d: %s\r\nCorrelation ID: %s\r\n"
            "Timestamp: %s" % (err.code, err.text, correlation_id, stamp),
            **err.extra,
        }
    description = "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s" % (
        err.code,
        err.text,
        trace_id,
        correlation_id,
        stamp,
    )
    body = {
        "error": err.error,
        "error_description": description,
        "error_codes": [err.code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": ERROR_URI % err.code,
    }
    body.update(err.extra)
    return body


# Shorthands for the errors the endpoints raise, so codes stay consistent.
def invalid_request(text: str, code: int = 900144) -> EntraError:
    return EntraError("invalid_request", code, text)


def invalid_client(text: str, code: int) -> EntraError:
    return EntraError("invalid_client", code, text, status=401)


def invalid_grant(text: str, code: int, **extra: Any) -> EntraError:
    return EntraError("invalid_grant", code, text, **extra)


def invalid_scope(text: str, code: int = 70011) -> EntraError:
    return EntraError("invalid_scope", code, text)


def tenant_not_found(tenant: str) -> EntraError:
    return EntraError(
        "invalid_tenant",
        90002,
        "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud." % tenant,
    )


def unknown_client(client_id: str, tenant_name: str) -> EntraError:
    return EntraError(
        "unauthorized_client",
        700016,
        "Application with identifier '%s' was not found in the directory '%s'." % (client_id, tenant_name),
    )


Clock = Callable[[], float]
