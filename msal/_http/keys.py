"""Keyed digests: keys that tell equal texts apart from others without keeping the texts (a
request's form, a user's name), for what the library remembers in memory.

``hashlib`` and ``hmac`` are imported on first use: ``hashlib`` would add its OpenSSL binding
to every cold ``import msal``.
"""

from __future__ import annotations


def keyed_digest(secret: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` under ``secret``, in hex."""
    import hashlib
    import hmac

    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()
