"""RedisTokenCache on a real redis-server, with the emulator as the identity provider.

Several RedisTokenCache instances on one Redis stand for several processes: each has its own
L1, and they share only what is in Redis (tests/distributed/test_distributed_processes.py runs
real processes).
"""

import re
import threading

import pytest
import redis as redis_py
from cryptography.fernet import Fernet

import msal
from support.apps import GRAPH_DEFAULT
from support.tokens import client_info
from support.wire import token_posts
from msal.distributed import RedisTokenCache, app_partition, user_partition
from msal.distributed.partitions import redis_key

CT = msal.TokenCache.CredentialType
KEY_SHAPE = re.compile(r"^msal:\{[0-9a-f]{40}\}(:lock)?$")


def user_event(uid, scope, token, client_id="client", refresh_token="rt-value"):
    """What the protocol layer hands the cache after a user token request."""
    return {
        "client_id": client_id,
        "scope": [scope],
        "token_endpoint": "https://login.example.com/tenant/oauth2/v2.0/token",
        "response": {
            "access_token": token,
            "expires_in": 3600,
            "client_info": client_info(uid, "tenant"),
            "refresh_token": refresh_token,
        },
    }


def web_api_default(emu):
    return emu.app("web-api")["app_id_uri"] + "/.default"


def stored(redis_url):
    return redis_py.Redis.from_url(redis_url)


def test_a_second_process_gets_app_tokens_from_redis(emu, make_app, redis_url):
    first = make_app("confidential-secret", token_cache=RedisTokenCache(redis_url))
    second_cache = RedisTokenCache(redis_url)
    second = make_app("confidential-secret", token_cache=second_cache)

    fetched = first.acquire_token_for_client([GRAPH_DEFAULT])
    shared = second.acquire_token_for_client([GRAPH_DEFAULT])
    assert fetched["token_source"] == "identity_provider"
    assert shared["token_source"] == "cache"
    assert shared["access_token"] == fetched["access_token"]
    assert len(token_posts(emu, "client_credentials")) == 1
    assert second_cache.l1_stats()["partitions"] == 1


def test_an_l1_hit_needs_no_redis(make_app, own_redis, warnings_of_cache):
    cache = RedisTokenCache(own_redis.url)
    app = make_app("confidential-secret", token_cache=cache)
    app.acquire_token_for_client([GRAPH_DEFAULT])
    own_redis.stop()
    again = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert again["token_source"] == "cache"
    assert cache.redis_outages == 0 and warnings_of_cache() == [], "Redis was not even asked"


def test_keys_are_hash_tagged_digests_and_values_the_unified_schema(emu, make_app, redis_url):
    cache = RedisTokenCache(redis_url)
    app = make_app("confidential-secret", token_cache=cache)
    app.acquire_token_for_client([GRAPH_DEFAULT])
    keys = [k.decode() for k in stored(redis_url).keys("*")]
    client_id = emu.app("confidential-secret")["client_id"]
    partition = app_partition("localhost", client_id, emu.tenant_id)
    assert keys == [redis_key("msal", partition)]
    assert all(KEY_SHAPE.match(k) for k in keys)
    assert client_id not in keys[0] and emu.tenant_id not in keys[0]

    exported = msal.SerializableTokenCache()
    exported.deserialize(cache.serialize_partition(partition))
    [token] = exported.find(CT.ACCESS_TOKEN)
    assert token["client_id"] == client_id and token["realm"] == emu.tenant_id
    assert token["environment"] == "localhost"


def test_users_are_partitioned_and_signed_in_users_are_silent_elsewhere(emu, signed_in, redis_url):
    app, result = signed_in(token_cache=RedisTokenCache(redis_url))
    home_account_id = app.get_accounts()[0]["home_account_id"]
    other_cache = RedisTokenCache(redis_url)
    other = msal.ConfidentialClientApplication(
        app.client_id,
        client_credential=emu.client_credential("web-app"),
        authority=emu.authority(),
        verify=emu.ca_path,
        instance_discovery=False,
        token_cache=other_cache,
    )
    assert other.get_accounts() == [], "outside a partition, only what this process holds"
    with other_cache.use_partition(user_partition(app.client_id, home_account_id)):
        [account] = other.get_accounts()
    silent = other.acquire_token_silent(["User.Read"], account)
    assert silent["token_source"] == "cache"
    assert silent["access_token"] == result["access_token"]
    assert len(token_posts(emu)) == 1, "only the sign-in reached the identity provider"


def test_two_writers_of_one_partition_lose_no_token(redis_url):
    caches = [RedisTokenCache(redis_url) for _ in range(6)]

    def write(n, cache):
        for i in range(10):
            cache.add(user_event("alice", "scope-%d-%d" % (n, i), "token-%d-%d" % (n, i)))

    threads = [threading.Thread(target=write, args=(n, c)) for n, c in enumerate(caches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    partition = user_partition("client", "alice.tenant")
    exported = msal.SerializableTokenCache()
    exported.deserialize(RedisTokenCache(redis_url).serialize_partition(partition))
    assert len(exported.find(CT.ACCESS_TOKEN)) == 60
    assert stored(redis_url).hget(redis_key("msal", partition), "v") == b"60"


def test_many_callers_missing_one_user_token_make_one_request(emu, signed_in, redis_url):
    app, _ = signed_in(token_cache=RedisTokenCache(redis_url))
    [account] = app.get_accounts()
    [at] = app.token_cache.find(
        CT.ACCESS_TOKEN, query={"client_id": app.client_id, "home_account_id": account["home_account_id"]}
    )
    app.token_cache.modify(CT.ACCESS_TOKEN, at, {"expires_on": "1", "extended_expires_on": "1"})
    emu.clear_requests()
    apps = [
        msal.ConfidentialClientApplication(
            app.client_id,
            client_credential=emu.client_credential("web-app"),
            authority=emu.authority(),
            verify=emu.ca_path,
            instance_discovery=False,
            token_cache=RedisTokenCache(redis_url),
        )
        for _ in range(6)
    ]
    results = [None] * len(apps)

    def silent(i):
        results[i] = apps[i].acquire_token_silent(["User.Read"], account)

    threads = [threading.Thread(target=silent, args=(i,)) for i in range(len(apps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r and "access_token" in r for r in results), results
    assert len({r["access_token"] for r in results}) == 1
    assert len(token_posts(emu, "refresh_token")) == 1
    assert sorted(r["token_source"] for r in results).count("identity_provider") == 1


def test_a_dead_lease_holder_is_outlived(emu, make_app, redis_url):
    cache = RedisTokenCache(redis_url, lock_lease=0.3)
    app = make_app("confidential-secret", token_cache=cache)
    partition = app_partition("localhost", app.client_id, emu.tenant_id)
    # A process took the lease for this partition, then died before getting its token.
    stored(redis_url).set(redis_key("msal", partition) + ":lock", "dead-owner", px=300)
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert result["token_source"] == "identity_provider"
    assert len(token_posts(emu, "client_credentials")) == 1
    assert stored(redis_url).get(redis_key("msal", partition) + ":lock") is None, (
        "the lease is released once the token is stored"
    )


def test_a_failed_request_does_not_hold_others_for_long(emu, make_app, redis_url):
    cache = RedisTokenCache(redis_url)
    app = make_app("confidential-secret", token_cache=cache)
    emu.inject("status", "token", status=400, times=1)
    assert "error" in app.acquire_token_for_client([GRAPH_DEFAULT])
    # The same thread's next call for the partition holds the lease already, and ends it.
    scope = web_api_default(emu)
    assert app.acquire_token_for_client([scope])["token_source"] == "identity_provider"
    other = make_app("confidential-secret", token_cache=RedisTokenCache(redis_url))
    assert other.acquire_token_for_client([scope])["token_source"] == "cache"
    assert stored(redis_url).keys("*:lock") == []


def test_redis_down_then_back(emu, make_app, own_redis, warnings_of_cache):
    cache = RedisTokenCache(own_redis.url, retry_interval=0)
    app = make_app("confidential-secret", token_cache=cache)
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "identity_provider"
    own_redis.stop()
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "cache"
    for scope in (web_api_default(emu), emu.app("tasks-api")["app_id_uri"] + "/.default"):
        # misses: to the network
        assert app.acquire_token_for_client([scope])["token_source"] == "identity_provider"
        assert app.acquire_token_for_client([scope])["token_source"] == "cache"
    assert len(warnings_of_cache()) == 1, [r.getMessage() for r in warnings_of_cache()]
    assert cache.redis_outages == 1

    own_redis.start()  # empty: it kept nothing on disk
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "cache"
    assert cache.flush()
    other = make_app("confidential-secret", token_cache=RedisTokenCache(own_redis.url))
    for scope in (web_api_default(emu), emu.app("tasks-api")["app_id_uri"] + "/.default", GRAPH_DEFAULT):
        assert other.acquire_token_for_client([scope])["token_source"] == "cache", scope
    assert len(token_posts(emu, "client_credentials")) == 3
    assert "reachable again" in warnings_of_cache()[-1].getMessage()


def test_redis_down_when_the_cache_is_made(emu, make_app, warnings_of_cache):
    from benchmarks.redis_servers import free_port

    cache = RedisTokenCache("redis://127.0.0.1:%d/0" % free_port())
    app = make_app("confidential-secret", token_cache=cache)
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "identity_provider"
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "cache"
    assert len(warnings_of_cache()) == 1


def test_lifetimes_follow_the_tokens(make_app, redis_url):
    cache = RedisTokenCache(redis_url, refresh_token_ttl=7 * 86400)
    cache.add(
        {
            "client_id": "client",
            "scope": ["s"],
            "token_endpoint": "https://login.example.com/tenant/token",
            "response": {"access_token": "app-token", "expires_in": 1800},
        }
    )
    cache.add(user_event("alice", "s", "user-token"))
    client = stored(redis_url)
    app_key = redis_key("msal", app_partition("login.example.com", "client", "tenant"))
    user_key = redis_key("msal", user_partition("client", "alice.tenant"))
    assert 1700 * 1000 < client.pttl(app_key) <= 1800 * 1000
    assert client.hget(app_key, "t") is None
    assert client.hget(user_key, "t") == str(7 * 86400 * 1000).encode()
    client.pexpire(user_key, 5000)
    RedisTokenCache(redis_url).find_refresh_tokens(
        home_account_id="alice.tenant", environments=["login.example.com"], client_id="client"
    )
    assert client.pttl(user_key) > 6 * 86400 * 1000, "a read renews the sliding lifetime"


# ---------------------------------------------------------------- encryption


def test_encrypted_at_rest_with_key_rotation(emu, make_app, redis_url):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    writer = make_app("confidential-secret", token_cache=RedisTokenCache(redis_url, encryption_keys=[old]))
    token = writer.acquire_token_for_client([GRAPH_DEFAULT])["access_token"]
    [key] = stored(redis_url).keys("msal:*")
    value = stored(redis_url).hget(key, "d")
    assert token.encode() not in value and b"AccessToken" not in value

    rotated = RedisTokenCache(redis_url, encryption_keys=[new, old])
    reader = make_app("confidential-secret", token_cache=rotated)
    assert reader.acquire_token_for_client([GRAPH_DEFAULT])["access_token"] == token
    reader.acquire_token_for_client([web_api_default(emu)])  # a write seals with the new key
    newer_only = make_app(
        "confidential-secret", token_cache=RedisTokenCache(redis_url, encryption_keys=[new])
    )
    assert newer_only.acquire_token_for_client([GRAPH_DEFAULT])["access_token"] == token


@pytest.mark.parametrize(
    "damage", ["other key", "tampered", "plain text", "not ours", "moved from another partition"]
)
def test_unusable_values_are_skipped_with_a_warning(emu, make_app, redis_url, damage, warnings_of_cache):
    key = Fernet.generate_key()
    writer = make_app("confidential-secret", token_cache=RedisTokenCache(redis_url, encryption_keys=[key]))
    writer.acquire_token_for_client([GRAPH_DEFAULT])
    writer.acquire_token_for_client([web_api_default(emu)])
    client = stored(redis_url)
    [redis_key_] = client.keys("msal:*")
    value = client.hget(redis_key_, "d")
    reader_keys = [key]
    if damage == "other key":
        reader_keys = [Fernet.generate_key()]
    elif damage == "tampered":
        client.hset(redis_key_, "d", value[:-10] + (b"A" if value[-10:-9] != b"A" else b"B") + value[-9:])
    elif damage == "plain text":
        plain = RedisTokenCache(redis_url)._sealer.seal("x", {"AccessToken": {}})
        client.hset(redis_key_, "d", plain)
    elif damage == "not ours":
        client.hset(redis_key_, "d", b'{"AccessToken": {}}')
    else:
        other = app_partition("localhost", "another-client", emu.tenant_id)
        client.hset(
            redis_key_, "d", RedisTokenCache(redis_url, encryption_keys=[key])._sealer.seal(other, {})
        )
    emu.clear_requests()
    reader = make_app(
        "confidential-secret", token_cache=RedisTokenCache(redis_url, encryption_keys=reader_keys)
    )
    result = reader.acquire_token_for_client([GRAPH_DEFAULT])
    assert result["token_source"] == "identity_provider", "never served from that value"
    [warning] = [r for r in warnings_of_cache() if "Skipped" in r.getMessage()][:1]
    assert redis_key_.decode() in warning.getMessage()
    exported = msal.SerializableTokenCache()
    exported.deserialize(
        reader.token_cache.serialize_partition(app_partition("localhost", reader.client_id, emu.tenant_id))
    )
    assert len(exported.find(CT.ACCESS_TOKEN)) == 1, "the value is replaced by a good one"


# ---------------------------------------------------------------- configuration errors


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379", "redis://host:notaport/0", "not a url", "redis://:secret-pw@host:99999999/0"],
)
def test_unparseable_urls_are_refused(url):
    with pytest.raises(ValueError) as refused:
        RedisTokenCache(url)
    assert "Redis URL" in str(refused.value) and "secret-pw" not in str(refused.value)


def test_a_wrong_password_is_refused_at_construction():
    from benchmarks.redis_servers import REDIS_SERVER, RedisServer

    if not REDIS_SERVER:
        pytest.skip("redis-server is not installed")
    server = RedisServer(password="right-password").start()
    try:
        wrong = server.url.replace("right-password", "wrong-password")
        with pytest.raises(ValueError, match="refused the credentials"):
            RedisTokenCache(wrong)
        with pytest.raises(ValueError, match="refused the credentials"):
            RedisTokenCache(server.url.replace(":right-password@", ""))
        RedisTokenCache(server.url).add(user_event("alice", "s", "t"))
    finally:
        server.close()


@pytest.mark.parametrize("keys", [["short"], "a-single-string", [], [b"x" * 44]])
def test_bad_encryption_keys_are_refused(redis_url, keys):
    with pytest.raises(ValueError, match="Fernet"):
        RedisTokenCache(redis_url, encryption_keys=keys)


def test_a_client_of_another_kind_is_refused():
    with pytest.raises(TypeError, match="redis.Redis"):
        RedisTokenCache(object())


# ---------------------------------------------------------------- L1 bound and cluster


def test_l1_stays_within_its_bound(redis_url):
    cache = RedisTokenCache(redis_url, l1_max_bytes=20000)
    for n in range(200):
        cache.add(user_event("user%d" % n, "s", "token-%d" % n))
    stats = cache.l1_stats()
    assert 0 < stats["bytes"] <= 20000 and stats["partitions"] < 200
    found = cache.find_refresh_tokens(
        home_account_id="user0.tenant", environments=["login.example.com"], client_id="client"
    )
    assert [rt["secret"] for rt in found] == ["rt-value"], "evicted partitions come back from Redis"


def test_redis_cluster(emu, make_app, redis_cluster):
    from redis.cluster import ClusterNode, RedisCluster

    client = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", n.port) for n in redis_cluster.nodes])
    caches = [RedisTokenCache(client, namespace="clustered") for _ in range(2)]
    apps = [make_app("confidential-secret", token_cache=c) for c in caches]
    for scope in (GRAPH_DEFAULT, web_api_default(emu)):
        assert apps[0].acquire_token_for_client([scope])["token_source"] == "identity_provider"
        assert apps[1].acquire_token_for_client([scope])["token_source"] == "cache"
    for n in range(12):  # partitions on every node
        caches[n % 2].add(user_event("user%d" % n, "s", "token-%d" % n))
    slots = {client.keyslot(k) for k in client.keys("clustered:*", target_nodes=client.ALL_NODES)}
    assert len(slots) >= 3
    found = caches[1].find_refresh_tokens(
        home_account_id="user4.tenant", environments=["login.example.com"], client_id="client"
    )
    assert [rt["secret"] for rt in found] == ["rt-value"]


# ---------------------------------------------------------------- on-behalf-of


def test_obo_tokens_are_shared_by_assertion(emu, signed_in, make_app, redis_url):
    web_app, _ = signed_in()
    api_scope = "{}/access_as_user".format(emu.app("web-api")["app_id_uri"])
    incoming = web_app.acquire_token_silent([api_scope], web_app.get_accounts()[0])["access_token"]
    emu.clear_requests()
    tiers = [make_app("web-api", token_cache=RedisTokenCache(redis_url)) for _ in range(6)]
    results = [None] * len(tiers)

    def obo(i):
        results[i] = tiers[i].acquire_token_on_behalf_of(incoming, ["User.Read"])

    threads = [threading.Thread(target=obo, args=(i,)) for i in range(len(tiers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # On failure, say where each answer came from, never the tokens themselves.
    # (Counted apart: pytest would print the set of tokens of a failed comparison.)
    distinct_tokens = len({r.get("access_token") for r in results})
    assert distinct_tokens == 1, [(r.get("token_source"), r.get("error")) for r in results]
    assert len(token_posts(emu, "urn:ietf:params:oauth:grant-type:jwt-bearer")) == 1
    keys = [k.decode() for k in stored(redis_url).keys("msal:*")]
    from msal.distributed import assertion_hash, obo_partition

    assert keys == [redis_key("msal", obo_partition(tiers[0].client_id, assertion_hash(incoming)))]
    assert incoming.split(".")[1] not in stored(redis_url).hget(keys[0], "d").decode()


def test_a_stalled_redis_costs_a_socket_timeout_not_a_failure(emu, make_app, own_redis, warnings_of_cache):
    cache = RedisTokenCache(own_redis.url, socket_timeout=0.2, retry_interval=60)
    app = make_app("confidential-secret", token_cache=cache)
    # Redis stops answering every client (as when it is swapped out or stuck in a long
    # command) but keeps the connections open: calls wait for the socket timeout only.
    stored(own_redis.url).execute_command("CLIENT", "PAUSE", "5000", "ALL")
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    second = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert first["token_source"] == "identity_provider" and second["token_source"] == "cache"
    [warning] = warnings_of_cache()
    assert "TimeoutError" in warning.getMessage()


def test_public_client_tokens_are_shared(emu, make_app, redis_url):
    alice = emu.user("alice")
    first = make_app("public", token_cache=RedisTokenCache(redis_url))
    result = first.acquire_token_by_username_password(alice["username"], alice["password"], ["User.Read"])
    home_account_id = first.get_accounts()[0]["home_account_id"]
    other_cache = RedisTokenCache(redis_url)
    second = make_app("public", token_cache=other_cache)
    with other_cache.use_partition(user_partition(second.client_id, home_account_id)):
        [account] = second.get_accounts(username=alice["username"])
    silent = second.acquire_token_silent(["User.Read"], account)
    assert silent["access_token"] == result["access_token"]
    second.remove_account(account)
    assert first.acquire_token_silent(["User.Read"], account)["token_source"] == "cache", (
        "the first process's L1 still serves its copy until the token expires"
    )
    third = make_app("public", token_cache=RedisTokenCache(redis_url))
    assert third.acquire_token_silent(["User.Read"], account) is None, "signed out in Redis"


def test_a_lease_taken_just_after_another_process_stored_the_token_is_not_used_to_ask_again(
    emu, make_app, redis_url
):
    """One process misses, and before it takes the lease another one gets the token, stores it
    and lets go of the lease: the first finds the token once it holds the lease."""
    late_cache = RedisTokenCache(redis_url)
    late = make_app("confidential-secret", token_cache=late_cache)
    early = make_app("confidential-secret", token_cache=RedisTokenCache(redis_url))
    store = late_cache._l2  # the window is between the miss and taking the lease
    take_lease = store.try_lock

    def after_the_other_process(key, lease_ms):
        store.try_lock = take_lease
        assert early.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "identity_provider"
        return take_lease(key, lease_ms)

    store.try_lock = after_the_other_process
    result = late.acquire_token_for_client([GRAPH_DEFAULT])
    assert result["token_source"] == "cache"
    assert len(token_posts(emu, "client_credentials")) == 1
    assert stored(redis_url).keys("msal:*:lock") == [], "the lease was let go"
