"""Which of a cache subclass's overrides the cache routes its work through.

msal-extensions' PersistedTokenCache hooks ``modify()`` alone, to save its file after each
write, and ``find()`` (before 1.2) or ``search()`` (from 1.2) alone, to reload the file before
each read. It relies on the original's routing: every write goes through ``modify()``, every
lookup calls ``find()`` or ``search()``. A subclass that hooks nothing, or hooks the compound
methods themselves (``add()``, the typed lookups), gets the fast indexed paths instead.
Worked out once per class, so a lookup pays one attribute read for it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Iterable, NamedTuple, Optional, Tuple


class Routing(NamedTuple):
    writes_via_modify: bool
    read_hook: Optional[str]  # "search", "find", or None when no lookup needs to be announced
    finds_access_tokens_itself: bool  # find_access_token() overridden: every lookup goes there


# Per class, worked out on its first instance: a plain dict (a cache is made per web request,
# and a weak one builds a reference per lookup), bounded for code that makes classes on the fly.
_ROUTINGS: Dict[type, Routing] = {}
_MAX_ROUTINGS = 256


def routing(cls: type, bases: Tuple[type, ...]) -> Routing:
    """The routing of a cache class whose base implementations are ``bases``."""
    found = _ROUTINGS.get(cls)
    if found is None:

        def overrides(name: str) -> bool:
            return getattr(cls, name) not in [getattr(b, name, None) for b in bases]

        read_hook = None
        own_lookup = overrides("find_access_token")
        if not own_lookup:
            read_hook = "search" if overrides("search") else "find" if overrides("find") else None
        found = Routing(overrides("modify") and not overrides("add"), read_hook, own_lookup)
        if len(_ROUTINGS) >= _MAX_ROUTINGS:
            _ROUTINGS.clear()
        _ROUTINGS[cls] = found
    return found


def announce_read(
    cache: Any,
    read_hook: str,
    credential_type: str,
    query: Dict[str, Any],
    target: Optional[Iterable[str]] = None,
    now: Optional[float] = None,
) -> None:
    """Run a lookup through the hooked ``search()`` or ``find()`` (for what the hook does:
    reload a file, prune expired tokens); the answer itself comes from the indexes."""
    if read_hook == "find":
        cache.find(credential_type, query=query)
        return
    found = cache.search(credential_type, target=target, query=query, now=now)
    try:
        entries = iter(found)
    except TypeError:
        raise TypeError(
            "{}.search() returned {} instead of an iterable of entries: an override must "
            "return (or yield from) super().search(...)".format(type(cache).__name__, type(found).__name__)
        ) from None
    for _ in entries:
        pass


def refresh_before(cls: type, base: type, names: Iterable[str], refresh: str) -> None:
    """Give ``cls`` each named method of ``base``, calling ``cls``'s ``refresh`` method first:
    for caches whose entries live elsewhere (a file, a caller's cache object) and are copied in
    before each read."""
    for name in names:
        setattr(cls, name, _refreshed(getattr(base, name), refresh))


def _refreshed(base_method: Callable[..., Any], refresh: str) -> Callable[..., Any]:
    @functools.wraps(base_method)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        getattr(self, refresh)()
        return base_method(self, *args, **kwargs)

    return method
