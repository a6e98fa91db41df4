"""Headers that identify the library and correlate a request with the identity provider's logs."""
from __future__ import annotations

import sys
import uuid
from typing import Dict, Optional

from .. import __version__

# API ids the service uses to tell flows apart (x-client-current-telemetry).
CLIENT_CREDENTIALS = 730
SILENT = 84
USERNAME_PASSWORD = 301
AUTH_CODE = 832
DEVICE_FLOW = 622
ON_BEHALF_OF = 523
REFRESH_TOKEN = 85
INTERACTIVE = 169

_SCHEMA = "4"


def base_headers(app_name: Optional[str] = None, app_version: Optional[str] = None) -> Dict[str, str]:
    """Headers that are the same on every request of an application."""
    headers = {
        "x-client-sku": "MSAL.Python",
        "x-client-ver": __version__,
        "x-client-os": sys.platform,
        "x-ms-lib-capability": "retry-after, h429",
    }
    if app_name:
        headers["x-app-name"] = str(app_name)
    if app_version:
        headers["x-app-ver"] = str(app_version)
    return headers


def request_headers(base: Dict[str, str], api_id: int, force_refresh: bool = False,
                    correlation_id: Optional[str] = None) -> Dict[str, str]:
    """Headers for one token request: a correlation id and the flow's telemetry."""
    headers = dict(base)
    headers["client-request-id"] = correlation_id or str(uuid.uuid4())
    headers["x-client-current-telemetry"] = "{}|{},{}|".format(
        _SCHEMA, api_id, 1 if force_refresh else 0)
    return headers
