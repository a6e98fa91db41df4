"""The test controls of an emulator: what tests flip and read besides the directory.

Faults, the clock, the request log, the internal errors the dispatch recorded, and the knobs
(device code timing, the MEX document, `refresh_in`); `reset()` undoes the knobs and faults.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, List, Optional, Union

from .config import Directory
from .faults import FaultSet
from .store import RequestLog


class Clock:
    """The emulator's notion of now: the wall clock plus an offset tests can move."""

    def __init__(self, source: Callable[[], float] = time.time):
        self._source = source
        self.offset = 0.0

    def __call__(self) -> float:
        return self._source() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump ahead, e.g. past a token's expiry."""
        self.offset += seconds

    def reset(self) -> None:
        self.offset = 0.0


class TestControls:
    """Faults, clock, request log, internal errors and the knobs tests flip."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(
        self,
        directory: Directory,
        route_names: Iterable[str],
        clock: Union[None, Clock, Callable[[], float]] = None,
    ) -> None:
        self._directory = directory
        self.faults = FaultSet(route_names)
        self.clock = clock if isinstance(clock, Clock) else Clock(clock or time.time)
        self.requests = RequestLog()
        self.errors: List[str] = []  # tracebacks of unexpected server failures
        self.mex_override: Optional[str] = None
        self.refresh_in: Optional[int] = None  # When set, token answers carry `refresh_in`
        self.device_code_interval: int = directory.device_code["interval"]
        self.device_code_expires_in: int = directory.device_code["expires_in"]

    def reset(self) -> None:
        """Undo the knobs: faults, the MEX document, device code timing, `refresh_in`."""
        self.faults.clear()
        self.mex_override = None
        self.device_code_interval = self._directory.device_code["interval"]
        self.device_code_expires_in = self._directory.device_code["expires_in"]
        self.refresh_in = None
