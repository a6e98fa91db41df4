"""Single-flight: concurrent callers that need the same token make one request and share it."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Hashable, Optional


class _Call(object):
    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: Optional[BaseException] = None


class SingleFlight(object):
    """Runs one ``fetch`` per key at a time; callers arriving meanwhile wait for its outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Dict[Hashable, _Call] = {}

    def run(self, key: Hashable, fetch: Callable[[], Any]) -> Any:
        """The result of ``fetch()``, computed by this caller or shared from one already running.

        A shared dict result is copied, so callers never mutate each other's answer; an
        exception raised by the running call is raised in every waiting caller too.
        """
        with self._lock:
            existing = self._calls.get(key)
            leader = existing is None
            call = self._calls[key] = _Call() if existing is None else existing
        if not leader:
            call.done.wait()
            if call.error is not None:
                raise call.error
            return dict(call.result) if isinstance(call.result, dict) else call.result
        try:
            call.result = fetch()
            return call.result
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
