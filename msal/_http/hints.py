"""Hints added to transport errors, so that the first errors people meet say what to do."""

from __future__ import annotations


def with_hint(exc: BaseException, hint: str) -> BaseException:
    """An exception of the same type whose message ends with ``hint``, so that callers catching
    the original type still catch it; the original itself when its type cannot be rebuilt."""
    message = "{} -- {}".format(exc, hint)
    carried = {
        name: getattr(exc, name)
        for name in ("request", "response")  # requests' own
        if hasattr(exc, name)
    }
    try:
        hinted = type(exc)(message, **carried)
    except Exception:  # A constructor of another shape: the original is clearer than nothing
        return exc
    hinted.__cause__ = exc
    return hinted
