"""Personal data in log lines.

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
