"""Headers that identify the library and correlate a request with the identity provider's logs."""

from __future__ import annotations

import sys
import threading
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .. import __version__
from ..sku import SKU
from ..oauth2cli.ids import random_uuid

# API ids the service uses to tell flows apart (x-client-current-telemetry).
CLIENT_CREDENTIALS = 730
SILENT = 84
USERNAME_PASSWORD = 301
AUTH_CODE = 832
DEVICE_FLOW = 622
ON_BEHALF_OF = 523
REFRESH_TOKEN = 85
INTERACTIVE = 169
USER_FIC = 950

# Why a token request was made, as x-client-current-telemetry reports it after the api id.
NOT_APPLICABLE = 0
FORCE_REFRESH = 1  # also for a claims challenge, and when a refresh token is redeemed directly
NO_CACHED_TOKEN = 2
EXPIRED = 3  # the cached token has expired (or is within the 5 minutes before it does)
REFRESH_DUE = 4  # the cached token's refresh_on has passed

_SCHEMA = "4"


def base_headers(app_name: Optional[str] = None, app_version: Optional[str] = None) -> Dict[str, str]:
    """Headers that are the same on every request of an application."""
    headers = {
        "x-client-sku": SKU,
        "x-client-ver": __version__,
        "x-client-os": sys.platform,
        "x-client-cpu": cpu_architecture(),
        "x-ms-lib-capability": "retry-after, h429",
    }
    if app_name:
        headers["x-app-name"] = header_safe(app_name)
    if app_version:
        headers["x-app-ver"] = header_safe(app_version)
    return headers


def header_safe(value: Any, separators: str = "") -> str:
    """A header value HTTP can carry: a CR, LF, other control character or one outside
    Latin-1 would make every later request of the application fail to send, so each (and
    each of ``separators``, a telemetry field's delimiters) becomes ``_``."""
    return "".join(
        c if (" " <= c <= "~" or "\xa0" <= c <= "\xff") and c not in separators else "_" for c in str(value)
    )


def cpu_architecture() -> str:
    """The process's architecture as ``x-client-cpu`` names it: ``x64`` or ``x86``."""
    return "x64" if sys.maxsize > 2**32 else "x86"


def request_headers(
    base: Dict[str, str],
    api_id: int,
    cache_info: int = NOT_APPLICABLE,
    correlation_id: Optional[str] = None,
    last: Optional["LastRequest"] = None,
    cache_hits: int = 0,
) -> Dict[str, str]:
    """Headers for one token request: a correlation id and the flow's telemetry, with what
    ``last`` recorded and the ``cache_hits`` served since."""
    headers = dict(base)
    headers["client-request-id"] = correlation_id or random_uuid()
    headers["x-client-current-telemetry"] = "{}|{},{}|".format(_SCHEMA, api_id, int(cache_info))
    if last is not None:
        headers["x-client-last-telemetry"] = last.header(cache_hits)
    return headers


# The longest x-client-last-telemetry header: a failure that would make it longer is not
# reported (the earlier ones are kept), as the original library does.
MAX_LAST_TELEMETRY_CHARS = 353
FIELD_SEPARATORS = "|,"


class LastRequest(object):
    """What the service wants to hear about earlier requests (``x-client-last-telemetry``):
    which failed with which errors, and how many answers came from the cache since the last
    one (counted by the caller). Failures accumulate until a request succeeds, as the original
    library reports them."""

    def __init__(self) -> None:
        self._failures: List[Tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def header(self, cache_hits: int = 0) -> str:
        with self._lock:
            return _last_header(cache_hits, self._failures)

    def record(self, result: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        """Called with every token answer: remember a failure, forget them all on a success."""
        with self._lock:
            if "error" not in result:
                self._failures = []
                return
            api_id = headers.get("x-client-current-telemetry", "||").split("|")[1].split(",")[0]
            failures = self._failures + [
                (
                    header_safe(api_id, FIELD_SEPARATORS),
                    header_safe(headers.get("client-request-id", ""), FIELD_SEPARATORS),
                    header_safe(result.get("error"), FIELD_SEPARATORS),
                )
            ]
            if len(_last_header(0, failures)) <= MAX_LAST_TELEMETRY_CHARS:
                self._failures = failures


def _last_header(cache_hits: int, failures: List[Tuple[str, str, str]]) -> str:
    return "{}|{}|{}|{}|".format(
        _SCHEMA,
        cache_hits,
        ",".join("{},{}".format(api_id, correlation) for api_id, correlation, _ in failures),
        ",".join(error for _, _, error in failures),
    )
