"""The default :class:`~msal.oauth2cli.http.HttpClient`, a thin layer over ``requests``."""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

from ..oauth2cli.contract import ResponseProtocol
from ..oauth2cli.tolerant import tolerant
from .hints import with_hint

TLS_HINT = (
    "the server's certificate is not signed by a CA this machine trusts. For an authority "
    "with a private CA (an emulator, a test or corporate authority, a TLS-inspecting "
    "proxy), create the application with verify='/path/to/ca-bundle.pem'"
)


class RequestsHttpClient(object):
    """A ``requests.Session`` that honours the application's ``verify``, ``proxies`` and ``timeout``.

    ``verify`` is passed on every request rather than set on the session: requests lets the
    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` environment variables override ``Session.verify``,
    which would silently ignore the documented parameter.

    Redirects are never followed: a token request re-sent to wherever a 3xx points would carry
    the client secret, a code or a password to a host the authority never named, perhaps over
    plain http. A 3xx answer reaches the caller as it is, and MSAL reports it as an error.
    """

    def __init__(
        self, verify: Any = True, proxies: Optional[Mapping[str, str]] = None, timeout: Any = None
    ) -> None:
        import requests  # Imported here so that "import msal" stays cheap.
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self._session = requests.Session()
        # One retry on a failed connection; a read timeout is reported at once, as a Timeout.
        adapter = HTTPAdapter(max_retries=Retry(total=1, read=False, redirect=False, status=False))
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._defaults = {"verify": verify, "proxies": proxies, "timeout": timeout}

    def _options(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        for name, value in self._defaults.items():
            if kwargs.get(name) is None and value is not None:
                kwargs[name] = value
        kwargs["allow_redirects"] = False
        return kwargs

    def post(
        self,
        url: str,
        params: Optional[Mapping[str, Any]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> ResponseProtocol:
        return self._send(
            self._session.post, url, params=params, data=data, headers=headers, **self._options(kwargs)
        )

    def get(
        self,
        url: str,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> ResponseProtocol:
        return self._send(self._session.get, url, params=params, headers=headers, **self._options(kwargs))

    @staticmethod
    def _send(method: Callable[..., ResponseProtocol], url: str, **kwargs: Any) -> ResponseProtocol:
        """Send; a failed certificate check says how to trust a private CA (same exception type)."""
        import requests

        try:
            return method(url, **kwargs)
        except requests.exceptions.SSLError as exc:
            if "CERTIFICATE_VERIFY_FAILED" not in str(exc):
                raise
            raise with_hint(exc, TLS_HINT)

    def close(self) -> None:
        self._session.close()

    @tolerant
    def __repr__(self) -> str:
        return "RequestsHttpClient(verify={!r}, timeout={!r})".format(
            self._defaults["verify"], self._defaults["timeout"]
        )
