"""Managed identity tokens in a RedisTokenCache: one source request for every process."""

from msal.distributed import RedisTokenCache
from test_managed_identity import RESOURCE, client, host, mi_requests, use  # noqa: F401


def test_managed_identity_tokens_are_shared(host, use, emu, redis_url):  # noqa: F811
    use("imds")
    first = client(token_cache=RedisTokenCache(redis_url)).acquire_token_for_client(resource=RESOURCE)
    emu.clear_requests()
    second = client(token_cache=RedisTokenCache(redis_url)).acquire_token_for_client(resource=RESOURCE)
    assert mi_requests(emu) == []
    assert second["token_source"] == "cache" and second["access_token"] == first["access_token"]


def test_a_token_stored_without_a_lookup_first_is_found(host, use, emu, redis_url):  # noqa: F811
    use("imds")
    fresh = client(token_cache=RedisTokenCache(redis_url)).acquire_token_for_client(
        resource=RESOURCE, claims_challenge='{"access_token": {"xms_cc": {"values": ["cp1"]}}}'
    )
    assert fresh["token_source"] == "identity_provider"
    emu.clear_requests()
    again = client(token_cache=RedisTokenCache(redis_url)).acquire_token_for_client(resource=RESOURCE)
    assert mi_requests(emu) == [] and again["access_token"] == fresh["access_token"]
