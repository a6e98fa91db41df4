"""The managed identity exceptions, here so that every private module can raise them."""

from __future__ import annotations


class ManagedIdentityError(ValueError):
    """A managed identity could not be used: wrong configuration, or a source that failed."""


class ArcPlatformNotSupportedError(ManagedIdentityError):
    """Azure Arc runs here, but on a platform whose key file folder is unknown."""


ManagedIdentityError.__module__ = ArcPlatformNotSupportedError.__module__ = "msal.managed_identity"
