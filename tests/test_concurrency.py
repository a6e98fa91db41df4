"""Concurrent callers share one request to the identity provider (single flight)."""

import threading
import time

import msal
from support.apps import GRAPH_DEFAULT
from support.wire import token_posts

THREADS = 16


def run_together(target, count=THREADS):
    """Start ``count`` threads at the same instant; return their results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(i):
        barrier.wait()
        results[i] = target()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def expire_access_tokens(cache):
    for at in cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN):
        cache.modify(
            msal.TokenCache.CredentialType.ACCESS_TOKEN, at, {"expires_on": str(int(time.time()) - 60)}
        )


def test_sixteen_threads_refreshing_one_expired_token_make_one_request(emu, signed_in):
    app, _ = signed_in()
    account = app.get_accounts()[0]
    expire_access_tokens(app.token_cache)
    emu.clear_requests()
    results = run_together(lambda: app.acquire_token_silent(["User.Read"], account))
    assert len(token_posts(emu, "refresh_token")) == 1
    assert all(r and "access_token" in r for r in results)
    assert len({r["access_token"] for r in results}) == 1


def test_cold_cache_client_credentials_make_one_request(emu, make_app):
    app = make_app("confidential-secret")
    results = run_together(lambda: app.acquire_token_for_client([GRAPH_DEFAULT]))
    assert len(token_posts(emu, "client_credentials")) == 1
    assert len({r["access_token"] for r in results}) == 1
    results[0]["access_token"] = "changed by one caller"
    assert results[1]["access_token"] != "changed by one caller", "each caller has its own dict"


def test_a_shared_failure_reaches_every_caller(emu, signed_in):
    app, _ = signed_in()
    account = app.get_accounts()[0]
    expire_access_tokens(app.token_cache)
    emu.revoke_refresh_tokens()
    emu.clear_requests()
    results = run_together(lambda: app.acquire_token_silent_with_error(["User.Read"], account))
    assert len(token_posts(emu, "refresh_token")) == 1
    assert all(r["error"] == "invalid_grant" for r in results)


def test_different_scopes_are_not_merged(emu, make_app):
    app = make_app("confidential-secret")
    api = "api://{}/.default".format(emu.app("web-api")["client_id"])
    results = run_together(
        lambda: (app.acquire_token_for_client([GRAPH_DEFAULT]), app.acquire_token_for_client([api])), count=4
    )
    assert len(token_posts(emu, "client_credentials")) == 2
    assert all("access_token" in a and "access_token" in b for a, b in results)
