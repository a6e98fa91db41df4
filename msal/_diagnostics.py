"""What the library tells people about itself: personal data in log lines, hints in errors.

Log lines name no token, secret, code or password, ever. Personal data (usernames, account
ids, tenant ids taken from a user's tokens) appear only when the application was created with
``enable_pii_log=True``; otherwise :data:`HIDDEN` stands in their place.
"""
from __future__ import annotations

from typing import Any

HIDDEN = "<pii>"


def pii(value: Any, allowed: bool) -> str:
    """``value`` for a log line, or :data:`HIDDEN` when the app keeps personal data out of logs."""
    return str(value) if allowed else HIDDEN


def with_hint(exc: BaseException, hint: str) -> BaseException:
    """An exception of the same type whose message ends with ``hint``, so that callers catching
    the original type still catch it; the original itself when its type cannot be rebuilt."""
    message = "{} -- {}".format(exc, hint)
    carried = {name: getattr(exc, name) for name in ("request", "response")  # requests' own
               if hasattr(exc, name)}
    try:
        hinted = type(exc)(message, **carried)
    except Exception:  # A constructor of another shape: the original is clearer than nothing
        return exc
    hinted.__cause__ = exc
    return hinted
