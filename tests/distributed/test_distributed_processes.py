"""Real processes on one redis-server: one token request between them, however many ask."""

import json
import time

from benchmarks import distributed_figures as figures
from benchmarks import report
from support.wire import token_posts


def test_processes_asking_for_one_app_token_make_one_request(emu, redis_url):
    options = dict(figures.common_options(emu, redis_url, "redis"), tenants=[emu.tenant_id])
    results = figures.run_processes("app_tokens", [options] * 4)
    assert [r["failed"] for r in results] == [0, 0, 0, 0]
    assert len(token_posts(emu, "client_credentials")) == 1


def test_processes_refreshing_one_expired_user_token_make_one_request(emu, redis_url):
    user = figures.signed_in_user(emu, redis_url)
    figures.expire_access_tokens(user["app"], user["account"])
    emu.clear_requests()
    options = dict(
        figures.common_options(emu, redis_url, "redis"),
        tenant=emu.tenant_id,
        client_id=user["app"].client_id,
        secret=emu.client_credential("web-app"),
        home=user["account"]["home_account_id"],
        event=json.dumps({}),
        now=time.time(),
    )
    results = figures.run_processes("refresh", [options] * 4)
    assert all(r["ok"] for r in results), results
    assert sorted(r["source"] for r in results) == ["cache"] * 3 + ["identity_provider"]
    assert len(token_posts(emu, "refresh_token")) == 1


def test_the_benchmark_table_has_the_distributed_rows():
    results = {
        "ours": {
            "distributed": {"redis_l1_hit_ms": 0.1, "refresh_requests_redis": 1, "refresh_requests_memory": 8}
        },
        "theirs": {},
    }
    table = report.render(results, ["ours", "theirs"], {"ours": "1"})
    assert "| web request, RedisTokenCache, L1 hit | ms | 0.10 | - |" in table
    assert "| 8 processes refresh one expired token, RedisTokenCache | requests | 1.00 | - |" in table
