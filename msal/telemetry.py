"""The names and codes of MSAL's telemetry headers, as later msal versions publish them.

``x-client-current-telemetry`` reports, after the API id, why a token request was made: one
of the codes below. The headers carry no token and no personal data.
"""

from ._entra.telemetry import EXPIRED as AT_EXPIRED
from ._entra.telemetry import FORCE_REFRESH
from ._entra.telemetry import NO_CACHED_TOKEN as AT_ABSENT
from ._entra.telemetry import NOT_APPLICABLE as NON_SILENT_CALL
from ._entra.telemetry import REFRESH_DUE as AT_AGING

CLIENT_REQUEST_ID = "client-request-id"
CLIENT_CURRENT_TELEMETRY = "x-client-current-telemetry"
CLIENT_LAST_TELEMETRY = "x-client-last-telemetry"
RESERVED = 5  # A code no request reports

__all__ = [
    "AT_ABSENT",
    "AT_AGING",
    "AT_EXPIRED",
    "CLIENT_CURRENT_TELEMETRY",
    "CLIENT_LAST_TELEMETRY",
    "CLIENT_REQUEST_ID",
    "FORCE_REFRESH",
    "NON_SILENT_CALL",
    "RESERVED",
]
