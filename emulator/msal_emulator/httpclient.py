"""A requests.Session that reaches the emulator under the real Microsoft host names.

The library under test can then run instance discovery and regional endpoints unchanged and
offline: requests to login.microsoftonline.com (the other clouds' hosts, and the B2C and CIAM
hosts the configuration declares) go to the emulator with their original Host header; anything
else fails fast instead of touching the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, Union
from urllib.parse import urlsplit, urlunsplit

from .routing import LOCAL_HOSTS, served_by

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from .server import Emulator


def emulator_session(emu: "Emulator") -> "requests.Session":
    import requests
    from requests.adapters import HTTPAdapter

    class EmulatorAdapter(HTTPAdapter):
        def send(
            self,
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: Any = None,
            verify: Union[bool, str] = True,
            cert: Any = None,
            proxies: Optional[Mapping[str, str]] = None,
        ) -> requests.Response:
            parts = urlsplit(request.url or "")
            if not served_by(emu.port, parts, emu.directory.tenant_hosts):
                raise requests.ConnectionError(
                    "%s is not served by the emulator (this session is offline)" % request.url,
                    request=request,
                )
            if parts.hostname not in LOCAL_HOSTS:
                request.headers["Host"] = parts.netloc
                request.url = urlunsplit(("https", "localhost:%d" % emu.port, parts.path, parts.query, ""))
            # Always trust the emulator's CA: REQUESTS_CA_BUNDLE must not override it.
            return super().send(
                request, stream=stream, timeout=timeout, verify=emu.ca_path, cert=cert, proxies=proxies
            )

    session = requests.Session()
    session.trust_env = False  # no proxies or CA bundle from the environment
    session.verify = emu.ca_path
    adapter = EmulatorAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
