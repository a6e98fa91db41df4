"""The HTTP contract as the transport layer states it.

The protocol layer states the same contract in :mod:`msal.oauth2cli.http` (which knows nothing
of the rest of msal, so it cannot import this one, and this lower layer cannot import it).
Both are ``typing.Protocol`` s, matched by shape: every client satisfying one satisfies the
other, which ``tests/test_types.py`` has mypy check.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Protocol


class Answer(Protocol):
    """An HTTP answer: a status code, a text body and headers."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


class Sender(Protocol):
    """An HTTP client: a POST and a GET, ``url`` by position and the rest by keyword."""

    def post(
        self,
        url: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> Answer: ...

    def get(
        self,
        url: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> Answer: ...
