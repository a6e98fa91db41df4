"""``repr()`` and ``str()`` that work on a half-built object.

A debugger, ``logging`` or a traceback with locals calls them on whatever ``self`` a frame
holds: also on an object whose constructor raised midway, or one made by ``__new__`` alone.
They must describe it rather than raise ``AttributeError`` on a field never set.
It imports nothing of msal, so that every layer, the transport included, can use it.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

T = TypeVar("T")


def tolerant(method: Callable[[T], str]) -> Callable[[T], str]:
    """Wrap a ``__repr__`` or ``__str__``: a missing attribute gives a plain description."""

    @functools.wraps(method)
    def describe(self: T) -> str:
        try:
            return method(self)
        except AttributeError:
            return "<{} (not fully initialised)>".format(type(self).__name__)

    return describe
