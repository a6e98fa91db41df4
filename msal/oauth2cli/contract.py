"""The HTTP contract, stated once: what msal reads of an answer and asks of a client.

This module imports nothing of msal, so it sits below every layer: the transport (``msal._http``)
and the protocol layer (:mod:`msal.oauth2cli.http`) both type against it. Both are
``typing.Protocol`` s, matched by shape, so a plain ``requests.Session`` qualifies as well as a
subclass of the documented :class:`msal.oauth2cli.http.HttpClient`.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Protocol


class ResponseProtocol(Protocol):
    """What msal reads of an HTTP answer: a status code, a text body and headers."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


class HttpClientProtocol(Protocol):
    """What msal asks of an HTTP client: a POST and a GET, each returning a response.

    Only ``url`` is passed by position, and no keyword beyond these.
    """

    def post(
        self,
        url: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> ResponseProtocol: ...

    def get(
        self,
        url: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> ResponseProtocol: ...
