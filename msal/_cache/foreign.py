"""A token cache object that is none of this package's classes (a caller's duck-typed cache, a
test's ``MagicMock``), used the way the original library uses any cache: read through its
``search()`` (or ``find()``), written through ``add()`` and ``modify()``.

Each lookup of the applications first copies what the object's ``search()`` yields into a
private :class:`~msal.token_cache.TokenCache` and answers from that copy, so an object whose
``search()`` yields nothing (a ``MagicMock`` iterates as empty) is an empty cache: the
application goes to the network, as the original does.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from ..token_cache import TokenCache
from . import hooks

CT = TokenCache.CredentialType
_TYPES = (CT.ACCESS_TOKEN, CT.REFRESH_TOKEN, CT.ID_TOKEN, CT.ACCOUNT, CT.APP_METADATA)


class ForeignCache(TokenCache):
    """Answers the applications' lookups from a foreign cache object, which it writes to."""

    def __init__(self, foreign: Any) -> None:
        super().__init__()
        self.foreign = foreign
        self._writes_via_modify = True  # Removals reach the foreign object

    def _reload(self) -> None:
        data: Dict[str, Any] = {}
        for credential_type in _TYPES:
            found = self.search(credential_type, query={})
            entries = found if isinstance(found, Iterable) else ()
            data[credential_type] = {str(n): dict(e) for n, e in enumerate(entries) if isinstance(e, dict)}
        self._replace_all(data)

    def add(self, event: Dict[str, Any], now: Optional[float] = None) -> None:
        self.foreign.add(event, now=now)

    def modify(self, *args: Any, **kwargs: Any) -> None:
        self.foreign.modify(*args, **kwargs)

    def search(self, credential_type: str, *args: Any, **kwargs: Any) -> Any:
        """The foreign object's own ``search()`` (or, lacking one, its ``find()``); :meth:`find`
        lists what this yields."""
        read = getattr(self.foreign, "search", None) or self.foreign.find
        if kwargs.get("now", 0) is None:
            del kwargs["now"]  # A search() of its own, or a find(), may take no ``now``
        return read(credential_type, *args, **kwargs)


# The lookups, and removing an account, first copy in what the foreign object holds
_RELOADED = [n for n in TokenCache._READ_METHODS if n not in ("search", "find")] + ["remove_account_data"]
hooks.refresh_before(ForeignCache, TokenCache, _RELOADED, "_reload")


def as_token_cache(cache: Any) -> TokenCache:
    """The cache an application works with: ours as given; another object with an ``add()``
    through :class:`ForeignCache`; anything else is a ``TypeError``."""
    if isinstance(cache, TokenCache):
        return cache
    if not callable(getattr(cache, "add", None)):
        raise TypeError("token_cache must be a msal.TokenCache (or SerializableTokenCache)")
    return ForeignCache(cache)
