"""Figures of the distributed token cache (msal.distributed.RedisTokenCache), with real processes,
a real redis-server and the emulator over HTTPS:

    python -m benchmarks.distributed_figures [--quick] [--json FILE]

1. 4 processes x 100 tenants acquiring app tokens at once: token requests at the emulator.
2. 8 processes refreshing one expired user token at once: refresh requests.
3. Redis killed in the middle of a 4-process run, then restarted: failed calls, tokens lost.
4. One web request cycle (build the app, acquire_token_silent) with an L1 hit, an L2 hit and a
   miss, beside the SerializableTokenCache-in-the-session pattern (session kept in Redis too).
5. L1 memory with 100,000 users written through one process, with a set bound.

Needs redis-server (``./dev test`` installs it) and the test extra (redis, msal-emulator).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List

import msal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
CT = msal.TokenCache.CredentialType


def log(message: str) -> None:
    print("[distributed] " + message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- worker processes


def _cache(options: Dict[str, Any]) -> msal.TokenCache:
    if options["cache"] == "redis":
        from msal.distributed import RedisTokenCache

        return RedisTokenCache(options["redis_url"], retry_interval=0.2)
    return msal.TokenCache()


def _app(
    options: Dict[str, Any], cache: msal.TokenCache, tenant: str, http_cache: Dict[Any, Any]
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        options["client_id"],
        client_credential=options["secret"],
        authority=options["base_url"] + "/" + tenant,
        verify=options["ca_path"],
        instance_discovery=False,
        token_cache=cache,
        http_cache=http_cache,
    )


def _barrier(options: Dict[str, Any]) -> None:
    """Tell the parent this worker is ready, then wait for everyone's start signal."""
    with open(os.path.join(options["sync_dir"], "ready-%d" % options["index"]), "w"):
        pass
    go = os.path.join(options["sync_dir"], "go")
    while not os.path.exists(go):
        time.sleep(0.005)


def work_app_tokens(options: Dict[str, Any]) -> Dict[str, Any]:
    cache = _cache(options)
    http_cache: Dict[Any, Any] = {}  # shared by the process's applications
    apps = {t: _app(options, cache, t, http_cache) for t in options["tenants"]}
    _barrier(options)

    def one(tenant: str) -> bool:
        return "access_token" in apps[tenant].acquire_token_for_client([GRAPH_DEFAULT])

    with ThreadPoolExecutor(4) as pool:
        ok = list(pool.map(one, options["tenants"]))
    return {"calls": len(ok), "failed": ok.count(False)}


def work_refresh(options: Dict[str, Any]) -> Dict[str, Any]:
    cache = _cache(options)
    if options["cache"] != "redis":
        cache.add(json.loads(options["event"]), now=options["now"])
    app = _app(options, cache, options["tenant"], {})
    _barrier(options)
    result = app.acquire_token_silent(["User.Read"], {"home_account_id": options["home"]})
    return {"ok": bool(result and "access_token" in result), "source": (result or {}).get("token_source")}


def work_outage(options: Dict[str, Any]) -> Dict[str, Any]:
    """Go through the tenants at a steady pace (each new tenant a miss, in between hits on the
    ones already seen) for about ``seconds``, counting calls that did not give a token."""
    cache = _cache(options)
    http_cache: Dict[Any, Any] = {}  # shared by the process's applications
    tenants = options["tenants"]
    apps = {t: _app(options, cache, t, http_cache) for t in tenants}
    _barrier(options)
    calls, failed, step = 0, 0, options["seconds"] / len(tenants)
    started = time.monotonic()
    for n, tenant in enumerate(tenants):
        while True:  # The new tenant, then hits on earlier ones until its time slot ends
            for t in (tenant, tenants[calls % (n + 1)]):
                try:
                    result = apps[t].acquire_token_for_client([GRAPH_DEFAULT])
                    failed += "access_token" not in result
                except Exception:  # A failed call is what this figure counts
                    failed += 1
                calls += 1
            if time.monotonic() >= started + (n + 1) * step:
                break
            time.sleep(0.01)
    deadline = time.monotonic() + 20
    flush: Callable[[], bool] = getattr(cache, "flush", lambda: True)
    flushed = flush()
    while not flushed and time.monotonic() < deadline:
        time.sleep(0.2)
        flushed = flush()
    return {
        "calls": calls,
        "failed": failed,
        "flushed": flushed,
        "outages": getattr(cache, "redis_outages", 0),
    }


WORKERS: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]] = {
    "app_tokens": work_app_tokens,
    "refresh": work_refresh,
    "outage": work_outage,
}


def run_processes(
    kind: str, options: List[Dict[str, Any]], during: Callable[[], None] = lambda: None
) -> List[Dict[str, Any]]:
    """Start one worker process per options dict, release them at once, return their results."""
    with tempfile.TemporaryDirectory(prefix="msal-distributed-") as sync_dir:
        procs = []
        for index, opts in enumerate(options):
            opts = dict(opts, sync_dir=sync_dir, index=index)
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.distributed_figures",
                        "--worker",
                        kind,
                        json.dumps(opts),
                    ],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + 120
        while len([f for f in os.listdir(sync_dir) if f.startswith("ready-")]) < len(procs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker did not start")
            time.sleep(0.01)
        with open(os.path.join(sync_dir, "go"), "w"):
            pass
        during()
        results = []
        for proc in procs:
            out, _ = proc.communicate(timeout=300)
            if proc.returncode != 0:
                raise RuntimeError("a %s worker failed" % kind)
            results.append(json.loads(out))
        return results


# ---------------------------------------------------------------- the figures


def token_posts(emu: Any, grant_type: str) -> int:
    return len(
        [
            r
            for r in emu.requests
            if r["method"] == "POST"
            and r["path"].rstrip("/").endswith("/token")
            and r["form"].get("grant_type") == grant_type
        ]
    )


def common_options(emu: Any, redis_url: str, cache: str) -> Dict[str, Any]:
    return {
        "client_id": emu.app("confidential-secret")["client_id"],
        "secret": emu.client_credential("confidential-secret"),
        "base_url": emu.base_url,
        "ca_path": emu.ca_path,
        "redis_url": redis_url,
        "cache": cache,
    }


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushall()


def figure_app_tokens(emu: Any, redis_url: str, tenants: List[str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"processes": 4, "tenants": len(tenants)}
    for cache in ("redis", "memory"):
        flush_redis(redis_url)
        emu.clear_requests()
        results = run_processes(
            "app_tokens", [dict(common_options(emu, redis_url, cache), tenants=tenants) for _ in range(4)]
        )
        out[cache] = {
            "token_requests": token_posts(emu, "client_credentials"),
            "failed_calls": sum(r["failed"] for r in results),
            "calls": sum(r["calls"] for r in results),
        }
    return out


def signed_in_user(emu: Any, redis_url: str) -> Dict[str, Any]:
    """Sign alice in to the web app through a RedisTokenCache; the token event for others."""
    from msal.distributed import RedisTokenCache
    from msal_emulator import auth_response

    events: List[Dict[str, Any]] = []

    class Recording(RedisTokenCache):
        def add(self, event: Dict[str, Any], now: Any = None) -> None:
            events.append(event)
            super().add(event, now)

    cache = Recording(redis_url)
    web = emu.app("web-app")
    app = msal.ConfidentialClientApplication(
        web["client_id"],
        client_credential=emu.client_credential("web-app"),
        authority=emu.authority(),
        verify=emu.ca_path,
        instance_discovery=False,
        token_cache=cache,
    )
    alice = emu.user("alice")
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=web["redirect_uris"][0])
    redirect = emu.sign_in(flow["auth_uri"], alice["username"], alice["password"])
    result = app.acquire_token_by_auth_code_flow(flow, auth_response(redirect))
    assert "access_token" in result, result.get("error")
    [account] = app.get_accounts()
    return {"app": app, "cache": cache, "account": account, "event": events[-1]}


def expire_access_tokens(app: Any, account: Dict[str, Any]) -> None:
    for at in app.token_cache.find(
        CT.ACCESS_TOKEN, query={"client_id": app.client_id, "home_account_id": account["home_account_id"]}
    ):
        app.token_cache.modify(CT.ACCESS_TOKEN, at, {"expires_on": "1", "extended_expires_on": "1"})


def figure_refresh(emu: Any, redis_url: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {"processes": 8}
    for cache in ("redis", "memory"):
        flush_redis(redis_url)
        user = signed_in_user(emu, redis_url)
        expire_access_tokens(user["app"], user["account"])
        event = dict(user["event"], response=dict(user["event"]["response"], expires_in=-3600))
        emu.clear_requests()
        opts = dict(
            common_options(emu, redis_url, cache),
            tenant=emu.tenant_id,
            client_id=user["app"].client_id,
            secret=emu.client_credential("web-app"),
            home=user["account"]["home_account_id"],
            event=json.dumps(event),
            now=time.time(),
        )
        results = run_processes("refresh", [opts] * 8)
        out[cache] = {
            "refresh_requests": token_posts(emu, "refresh_token"),
            "failed_calls": sum(not r["ok"] for r in results),
            "from_cache": sum(r["source"] == "cache" for r in results),
        }
    return out


def figure_outage(emu: Any, tenants: List[str], seconds: float) -> Dict[str, Any]:
    from benchmarks.redis_servers import RedisServer
    from msal.distributed import RedisTokenCache, app_partition

    server = RedisServer(persist=True).start()
    try:
        emu.clear_requests()

        def kill_and_restart() -> None:
            time.sleep(seconds * 0.35)
            server.stop()
            log("redis-server killed")
            time.sleep(seconds * 0.3)
            server.start()
            log("redis-server restarted")

        opts = dict(common_options(emu, server.url, "redis"), tenants=tenants, seconds=seconds)
        results = run_processes("outage", [opts] * 4, during=kill_and_restart)
        check = RedisTokenCache(server.url)
        client_id = opts["client_id"]
        lost = 0
        for tenant in tenants:
            doc = json.loads(check.serialize_partition(app_partition("localhost", client_id, tenant)))
            lost += not doc.get(CT.ACCESS_TOKEN)
        return {
            "processes": 4,
            "tenants": len(tenants),
            "seconds": seconds,
            "calls": sum(r["calls"] for r in results),
            "failed_calls": sum(r["failed"] for r in results),
            "all_flushed": all(r["flushed"] for r in results),
            "outages_seen": sum(r["outages"] for r in results),
            "tokens_lost": lost,
            "token_requests": token_posts(emu, "client_credentials"),
        }
    finally:
        server.close()


def _timed(calls: int, before: Callable[[], None], call: Callable[[], Any]) -> Dict[str, float]:
    samples = []
    for _ in range(calls):
        before()
        start = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - start) * 1e3)
        assert result and "access_token" in result, result
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
    }


def figure_web_cycle(emu: Any, redis_url: str, calls: int) -> Dict[str, Any]:
    """One web request: make the app over the cache, then acquire_token_silent."""
    import redis
    from msal.distributed import RedisTokenCache, user_partition

    flush_redis(redis_url)
    user = signed_in_user(emu, redis_url)
    account, web = user["account"], emu.app("web-app")
    http_cache: Dict[Any, Any] = {}

    def request(cache: msal.TokenCache) -> Any:
        app = msal.ConfidentialClientApplication(
            web["client_id"],
            client_credential=emu.client_credential("web-app"),
            authority=emu.authority(),
            verify=emu.ca_path,
            instance_discovery=False,
            token_cache=cache,
            http_cache=http_cache,
        )
        return app.acquire_token_silent(["User.Read"], account)

    shared = RedisTokenCache(redis_url)
    tiny_l1 = RedisTokenCache(redis_url, l1_max_bytes=1)
    other = RedisTokenCache(redis_url)
    bob_hid = "bob.example"
    other.add(
        {
            "client_id": web["client_id"],
            "scope": ["x"],
            "token_endpoint": emu.token_endpoint(),
            "response": {
                "access_token": "x",
                "expires_in": 3600,
                "client_info": base64.urlsafe_b64encode(
                    json.dumps({"uid": "bob", "utid": "example"}).encode()
                ).decode(),
            },
        }
    )

    def other_user() -> None:  # Pushes alice out of the 1-byte L1: each request reads Redis
        tiny_l1.find_refresh_tokens(
            home_account_id=bob_hid, environments=["localhost"], client_id=web["client_id"]
        )

    def expire(cache: msal.TokenCache) -> Callable[[], None]:
        return lambda: expire_access_tokens(
            msal.ConfidentialClientApplication(
                web["client_id"],
                client_credential=emu.client_credential("web-app"),
                authority=emu.authority(),
                verify=emu.ca_path,
                instance_discovery=False,
                token_cache=cache,
                http_cache=http_cache,
            ),
            account,
        )

    sessions = redis.Redis.from_url(redis_url)
    sessions.set(
        "session:alice",
        user["cache"].serialize_partition(user_partition(web["client_id"], account["home_account_id"])),
    )

    def session() -> str:
        stored = sessions.get("session:alice")
        assert isinstance(stored, bytes), stored
        return stored.decode("utf-8")

    def session_request() -> Any:
        cache = msal.SerializableTokenCache()
        cache.deserialize(session())
        result = request(cache)
        if cache.has_state_changed:
            sessions.set("session:alice", cache.serialize())
        return result

    def expire_session() -> None:
        cache = msal.SerializableTokenCache()
        cache.deserialize(session())
        expire(cache)()
        sessions.set("session:alice", cache.serialize())

    request(shared)
    out = {
        "redis_l1_hit": _timed(calls, lambda: None, lambda: request(shared)),
        "redis_l2_hit": _timed(calls, other_user, lambda: request(tiny_l1)),
        "redis_miss_refresh": _timed(max(10, calls // 5), expire(shared), lambda: request(shared)),
        "session_hit": _timed(calls, lambda: None, session_request),
        "session_miss_refresh": _timed(max(10, calls // 5), expire_session, session_request),
    }
    return out


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def figure_l1_memory(redis_url: str, users: int, bound: int) -> Dict[str, Any]:
    from msal.distributed import RedisTokenCache

    flush_redis(redis_url)
    cache = RedisTokenCache(redis_url, l1_max_bytes=bound)
    token = "x" * 1500
    before = _rss_bytes()
    for n in range(users):
        info = base64.urlsafe_b64encode(json.dumps({"uid": "u%d" % n, "utid": "t"}).encode())
        cache.add(
            {
                "client_id": "client",
                "scope": ["User.Read"],
                "token_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
                "response": {
                    "access_token": token,
                    "refresh_token": token[:1100],
                    "expires_in": 3600,
                    "client_info": info.decode(),
                },
            }
        )
    stats = cache.l1_stats()
    per_partition = stats["bytes"] / max(1, stats["partitions"])
    return {
        "users": users,
        "bound_bytes": bound,
        "l1_partitions": stats["partitions"],
        "l1_json_bytes": stats["bytes"],
        "rss_growth_mb": round((_rss_bytes() - before) / 1e6, 1),
        "unbounded_json_mb_estimate": round(per_partition * users / 1e6, 1),
    }


def bench_rows(emu: Any, quick: bool) -> Dict[str, Any]:
    """The distributed rows of ``python -m benchmarks`` (this package only): the web request
    cycle and the 8-process refresh, on a redis-server of their own; {} without one."""
    from benchmarks.redis_servers import REDIS_SERVER, RedisServer

    if not REDIS_SERVER:
        log("redis-server is not installed: the distributed rows are skipped")
        return {}
    server = RedisServer().start()
    try:
        cycle = figure_web_cycle(emu, server.url, 30 if quick else 150)
        refresh = figure_refresh(emu, server.url)
    finally:
        server.close()
    rows = {name + "_ms": figures["median_ms"] for name, figures in cycle.items()}
    rows["refresh_requests_redis"] = refresh["redis"]["refresh_requests"]
    rows["refresh_requests_memory"] = refresh["memory"]["refresh_requests"]
    return rows


def emulator_with_tenants(count: int) -> Any:
    from msal_emulator import Emulator
    from msal_emulator.config import DEFAULT_CONFIG

    extra = [
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "msal-figures-tenant-%d" % n)),
            "domain": "tenant%d.example" % n,
        }
        for n in range(count)
    ]
    return Emulator(config={"tenants": list(DEFAULT_CONFIG["tenants"]) + extra}).start(), [
        t["id"] for t in extra
    ]


def main(argv: List[str]) -> int:
    if argv[:1] == ["--worker"]:
        json.dump(WORKERS[argv[1]](json.loads(argv[2])), sys.stdout)
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed_figures")
    parser.add_argument("--quick", action="store_true", help="fewer users and calls")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)
    from benchmarks.redis_servers import REDIS_SERVER, SKIP_REASON, RedisServer

    if not REDIS_SERVER:
        log(SKIP_REASON)
        return 2
    figures: Dict[str, Any] = {}
    emu, tenants = emulator_with_tenants(100)
    server = RedisServer().start()
    try:
        log("1. 4 processes x 100 tenants, app tokens")
        figures["app_tokens"] = figure_app_tokens(emu, server.url, tenants)
        log("2. 8 processes, one expired user token")
        figures["refresh"] = figure_refresh(emu, server.url)
        log("3. Redis killed and restarted during a 4-process run")
        figures["outage"] = figure_outage(emu, tenants, 6.0 if args.quick else 10.0)
        log("4. web request cycle")
        figures["web_cycle"] = figure_web_cycle(emu, server.url, 50 if args.quick else 200)
        log("5. L1 memory")
        figures["l1_memory"] = figure_l1_memory(server.url, 20000 if args.quick else 100000, 16 * 1024 * 1024)
    finally:
        server.close()
        emu.close()
    text = json.dumps(figures, indent=2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
