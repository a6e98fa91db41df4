"""Proof Key for Code Exchange (RFC 7636), S256 only."""

from __future__ import annotations

import base64
from typing import Tuple

# hashlib and secrets are imported on a sign-in only: not as part of every import of msal


def new_verifier_and_challenge() -> Tuple[str, str]:
    """A fresh ``code_verifier`` (43 characters, RFC 7636 §4.1) and its S256 ``code_challenge``."""
    import secrets

    verifier = secrets.token_urlsafe(32)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    """``BASE64URL(SHA256(ASCII(code_verifier)))`` without padding (RFC 7636 §4.2)."""
    import hashlib

    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
