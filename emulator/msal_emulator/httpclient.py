"""A requests.Session that reaches the emulator under the real Microsoft host names.

The library under test can then run instance discovery and regional endpoints unchanged and
offline: requests to login.microsoftonline.com (the other clouds' hosts, and the B2C and CIAM
hosts the configuration declares) go to the emulator with their original Host header; anything
else fails fast instead of touching the network.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .routing import LOCAL_HOSTS, served_by


def emulator_session(emu):
    import requests
    from requests.adapters import HTTPAdapter

    class EmulatorAdapter(HTTPAdapter):
        def send(self, request, **kwargs):
            parts = urlsplit(request.url)
            if not served_by(emu.port, parts, emu.directory.tenant_hosts):
                raise requests.ConnectionError(
                    "%s is not served by the emulator (this session is offline)" % request.url,
                    request=request)
            if parts.hostname not in LOCAL_HOSTS:
                request.headers["Host"] = parts.netloc
                request.url = urlunsplit(
                    ("https", "localhost:%d" % emu.port, parts.path, parts.query, ""))
            # Always trust the emulator's CA: REQUESTS_CA_BUNDLE must not override it.
            kwargs["verify"] = emu.ca_path
            return super().send(request, **kwargs)

    session = requests.Session()
    session.trust_env = False  # no proxies or CA bundle from the environment
    session.verify = emu.ca_path
    adapter = EmulatorAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
