"""Big cache states for the benchmarks, made once through the public ``TokenCache.add`` and
saved in the unified schema that every implementation reads with ``deserialize``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Iterable

import msal

if TYPE_CHECKING:  # type-checked as a module of the benchmarks package
    from . import fake_idp as idp
else:  # imported by worker.py, run as a script in each implementation's environment
    import fake_idp as idp

STATES = {
    "apps_1": lambda: idp.app_token_events(1, 10),
    "apps_1000": lambda: idp.app_token_events(1000, 10),
    "users_1": lambda: idp.user_events(1),
    "users_10": lambda: idp.user_events(10),
    "users_10k": lambda: idp.user_events(10000),
}


def build(events: Iterable[Dict[str, Any]]) -> str:
    cache = msal.SerializableTokenCache()
    for event in events:
        cache.add(event)
    return cache.serialize()


def write(paths: Dict[str, str]) -> None:
    for name, path in paths.items():
        if not os.path.exists(path):
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(build(STATES[name]()))
            os.replace(path + ".tmp", path)
