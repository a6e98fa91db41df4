"""Random identifiers: request (correlation) ids, assertion ids, message ids."""

from __future__ import annotations


def random_uuid() -> str:
    """A new random (version 4) UUID, as text. The ``uuid`` module is imported on first use:
    it imports ``platform``, which would add about 7 ms to every cold ``import msal``."""
    import uuid

    return str(uuid.uuid4())
