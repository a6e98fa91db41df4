"""On-behalf-of: how the incoming token keys the tokens obtained for it."""

import base64


def assertion_hash(user_assertion: str) -> str:
    """The key of on-behalf-of tokens, as MSAL.NET and MSAL Node write it in the cache's
    ``user_assertion_hash``: SHA-256 of the incoming token, base64url without padding."""
    import hashlib  # (by on-behalf-of calls only: not part of every import of msal)

    digest = hashlib.sha256(user_assertion.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
