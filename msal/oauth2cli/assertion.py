"""Client assertions that renew themselves."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional


class AutoRefresher(object):
    """Calls ``factory`` once, returns that value until ``expires_in`` seconds have passed,
    then calls it again. Useful as a ``client_assertion`` callable: a signed assertion is
    reused for its lifetime instead of being made for every request::

        assertion = AutoRefresher(lambda: read_federated_token(), expires_in=540)
        app = ConfidentialClientApplication(
            client_id, client_credential={"client_assertion": assertion}, ...)
    """

    def __init__(self, factory: Callable[[], Any], expires_in: float = 540) -> None:
        if not callable(factory):
            raise ValueError("factory must be callable")
        self._factory = factory
        self._expires_in = expires_in
        self._lock = threading.Lock()
        self._value: Any = None
        self._made_at: Optional[float] = None

    def __call__(self) -> Any:
        now = time.monotonic()
        with self._lock:
            if self._made_at is None or now - self._made_at >= self._expires_in:
                self._value = self._factory()
                self._made_at = now
            return self._value
