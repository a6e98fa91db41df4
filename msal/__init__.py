"""MSAL for Python: sign users in to Microsoft Entra ID, ADFS and B2C, and get tokens for
apps and web APIs."""

__version__ = "1.39.0"

from .application import (  # noqa: E402
    ClientApplication,
    ConfidentialClientApplication,
    PublicClientApplication,
)
from .auth_scheme import PopAuthScheme  # noqa: E402
from .exceptions import BrowserInteractionTimeoutError, IdTokenError  # noqa: E402
from .oauth2cli.assertion import AutoRefresher  # noqa: E402
from .oauth2cli.oidc import Prompt  # noqa: E402
from .token_cache import SerializableTokenCache, TokenCache  # noqa: E402
from .managed_identity import (  # noqa: E402
    ArcPlatformNotSupportedError,
    ManagedIdentityClient,
    ManagedIdentityError,
    SystemAssignedManagedIdentity,
    UserAssignedManagedIdentity,
)

__all__ = [
    "AutoRefresher",
    "BrowserInteractionTimeoutError",
    "ClientApplication",
    "ConfidentialClientApplication",
    "IdTokenError",
    "PopAuthScheme",
    "Prompt",
    "PublicClientApplication",
    "SerializableTokenCache",
    "TokenCache",
    "__version__",
    "ManagedIdentityClient",
    "SystemAssignedManagedIdentity",
    "UserAssignedManagedIdentity",
    "ManagedIdentityError",
    "ArcPlatformNotSupportedError",
]
