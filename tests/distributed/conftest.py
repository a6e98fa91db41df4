"""Fixtures of the distributed cache tests: a real redis-server per test session."""

import logging

import pytest

from benchmarks.redis_servers import REDIS_CLI, REDIS_SERVER, SKIP_REASON, RedisCluster, RedisServer

pytest.importorskip("redis", reason="redis-py is not installed (pip install -e '.[test]')")


def started_redis():
    """A fresh redis-server on a free loopback port, closed when the fixture ends."""
    if not REDIS_SERVER:
        pytest.skip(SKIP_REASON)
    server = RedisServer().start()
    yield server
    server.close()


redis_server = pytest.fixture(scope="session", name="redis_server")(started_redis)  # Shared


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


own_redis = pytest.fixture(name="own_redis")(started_redis)  # This test's alone: it may kill it


@pytest.fixture(scope="session")
def redis_cluster():
    """Three redis-server processes in cluster mode, when they can be started here."""
    if not (REDIS_SERVER and REDIS_CLI):
        pytest.skip(SKIP_REASON)
    cluster = RedisCluster()
    try:
        cluster.start()
    except Exception as exc:  # e.g. cluster mode unavailable in this build
        cluster.close()
        pytest.skip("a local Redis cluster could not be started: %s" % exc)
    yield cluster
    cluster.close()


@pytest.fixture
def warnings_of_cache(caplog):
    """WARNING records of the distributed cache's logger."""
    caplog.set_level(logging.WARNING, logger="msal.distributed")
    return lambda: [
        r for r in caplog.records if r.name == "msal.distributed" and r.levelno == logging.WARNING
    ]
