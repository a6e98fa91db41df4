"""Token caches shared by several processes and hosts.

:class:`RedisTokenCache` keeps each partition of the unified cache schema (one application's
tokens in one tenant, one user's tokens, one on-behalf-of assertion's tokens) in Redis, with a
bounded in-process copy in front. Importing this package does not import ``redis``: install it
with ``pip install msal[redis]`` and it is used when a cache is built.
"""

from .partitions import app_partition, assertion_hash, obo_partition, user_partition
from .redis_cache import RedisTokenCache

__all__ = ["RedisTokenCache", "app_partition", "assertion_hash", "obo_partition", "user_partition"]
