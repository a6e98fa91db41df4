"""acquire_token_on_behalf_of reads the cache first, keyed by the hash of the incoming assertion:
a cached access token, then the on-behalf-of refresh token, and only then a new OBO grant."""

import base64
import hashlib

import pytest

import msal
from support.wire import token_posts

OBO = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CT = msal.TokenCache.CredentialType


def incoming_token(emu, signed_in, username=None):
    web_app, _ = signed_in(username=username)
    api_scope = "{}/access_as_user".format(emu.app("web-api")["app_id_uri"])
    account = web_app.get_accounts()[0]
    token = web_app.acquire_token_silent([api_scope], account)["access_token"]
    emu.clear_requests()
    return token


def sha256_b64url(text):
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).decode().rstrip("=")


@pytest.fixture(params=["TokenCache", "SerializableTokenCache"])
def middle_tier(request, make_app):
    return make_app("web-api", token_cache=getattr(msal, request.param)())


def test_a_cached_obo_token_is_served_from_the_cache(emu, signed_in, middle_tier):
    assertion = incoming_token(emu, signed_in)
    first = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    second = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert first["token_source"] == "identity_provider"
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    assert len(token_posts(emu, OBO)) == 1
    [at] = middle_tier.token_cache.find(CT.ACCESS_TOKEN)
    assert at["user_assertion_hash"] == sha256_b64url(assertion)


def test_another_assertion_is_another_obo_call(emu, signed_in, middle_tier):
    alice = incoming_token(emu, signed_in)
    bob = incoming_token(emu, signed_in, username="bob@" + emu.tenant_domain)
    from_alice = middle_tier.acquire_token_on_behalf_of(alice, ["User.Read"])
    from_bob = middle_tier.acquire_token_on_behalf_of(bob, ["User.Read"])
    assert from_bob["token_source"] == "identity_provider"
    assert from_bob["access_token"] != from_alice["access_token"]
    assert len(token_posts(emu, OBO)) == 2


def test_an_expired_obo_token_is_refreshed_with_the_obo_refresh_token(emu, signed_in, middle_tier):
    assertion = incoming_token(emu, signed_in)
    first = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    for at in middle_tier.token_cache.find(CT.ACCESS_TOKEN):
        middle_tier.token_cache.modify(CT.ACCESS_TOKEN, at, {"expires_on": "1"})
    refreshed = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert refreshed["token_source"] == "identity_provider"
    assert refreshed["access_token"] != first["access_token"]
    assert len(token_posts(emu, OBO)) == 1
    [refresh] = token_posts(emu, "refresh_token")
    assert refresh["form"]["refresh_token"] == first["refresh_token"]
    again = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert again["token_source"] == "cache" and again["access_token"] == refreshed["access_token"]


def test_a_rejected_obo_refresh_token_falls_back_to_a_new_grant(emu, signed_in, middle_tier):
    assertion = incoming_token(emu, signed_in)
    middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    cache = middle_tier.token_cache
    for at in cache.find(CT.ACCESS_TOKEN):
        cache.modify(CT.ACCESS_TOKEN, at, {"expires_on": "1"})
    for rt in cache.find(CT.REFRESH_TOKEN):
        cache.modify(CT.REFRESH_TOKEN, rt, {"secret": "revoked-refresh-token"})
    result = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert result["token_source"] == "identity_provider"
    assert len(token_posts(emu, "refresh_token")) == 1
    assert len(token_posts(emu, OBO)) == 2


def test_a_claims_challenge_skips_the_cache(emu, signed_in, middle_tier):
    assertion = incoming_token(emu, signed_in)
    middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    result = middle_tier.acquire_token_on_behalf_of(
        assertion, ["User.Read"], claims_challenge='{"access_token": {"nbf": {"essential": true}}}'
    )
    assert result["token_source"] == "identity_provider"
    assert len(token_posts(emu, OBO)) == 2


def test_tokens_of_another_assertion_are_not_served(emu, signed_in, middle_tier):
    assertion = incoming_token(emu, signed_in)
    middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    cache = middle_tier.token_cache
    for credential_type in (CT.ACCESS_TOKEN, CT.REFRESH_TOKEN):
        for entry in cache.find(credential_type):  # the same user, through another assertion
            cache.modify(credential_type, entry, {"user_assertion_hash": "another-hash"})
    result = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert result["token_source"] == "identity_provider"
    assert len(token_posts(emu, OBO)) == 2 and token_posts(emu, "refresh_token") == []


@pytest.mark.parametrize("damage", [{"secret": None}, {"expires_on": "soon"}, {"target": 7}])
def test_damaged_obo_entries_are_skipped(emu, signed_in, middle_tier, damage):
    assertion = incoming_token(emu, signed_in)
    middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    cache = middle_tier.token_cache
    for credential_type in (CT.ACCESS_TOKEN, CT.REFRESH_TOKEN):
        for entry in cache.find(credential_type):
            cache.modify(credential_type, entry, damage)
    result = middle_tier.acquire_token_on_behalf_of(assertion, ["User.Read"])
    assert result["token_source"] == "identity_provider"
