"""Routing and telemetry headers, client capabilities and claims challenges, on the wire."""

import json

from support.apps import GRAPH_DEFAULT
from support.wire import query_of, token_posts


def test_app_name_and_version_only_when_given(emu, make_app):
    make_app("confidential-secret").acquire_token_for_client([GRAPH_DEFAULT])
    make_app("confidential-secret", app_name="Contoso Portal", app_version="2.1").acquire_token_for_client(
        [GRAPH_DEFAULT]
    )
    first, second = [p["headers"] for p in token_posts(emu)]
    assert "x-app-name" not in first and "x-app-ver" not in first
    assert second["x-app-name"] == "Contoso Portal" and second["x-app-ver"] == "2.1"
    for headers in (first, second):
        assert headers["x-client-sku"] == "MSAL.Python" and headers["x-client-os"]
        assert headers["x-ms-lib-capability"] == "retry-after, h429"


def test_each_request_has_its_own_correlation_id_echoed_in_errors(emu, make_app):
    errors = [
        make_app("confidential-secret", client_credential=secret).acquire_token_for_client([GRAPH_DEFAULT])
        for secret in ("wrong", "also-wrong")
    ]
    sent = [p["headers"]["client-request-id"] for p in token_posts(emu)]
    assert len(set(sent)) == 2
    assert [e["correlation_id"] for e in errors] == sent


def test_last_request_telemetry_reports_the_previous_failure(emu, make_app):
    app = make_app("confidential-secret", client_credential="wrong")
    app.acquire_token_for_client([GRAPH_DEFAULT])
    app.acquire_token_for_client(["api://{}/.default".format(emu.app("web-api")["client_id"])])
    first, second = [p["headers"] for p in token_posts(emu)]
    assert first["x-client-last-telemetry"] == "4|0|||"
    assert second["x-client-last-telemetry"] == "4|0|730,{}|invalid_client|".format(
        first["client-request-id"]
    )


def test_last_request_telemetry_counts_cache_hits(emu, make_app):
    app = make_app("confidential-secret")
    app.acquire_token_for_client([GRAPH_DEFAULT])
    app.acquire_token_for_client([GRAPH_DEFAULT])  # two hits
    app.acquire_token_for_client([GRAPH_DEFAULT])
    app.acquire_token_for_client(["api://{}/.default".format(emu.app("web-api")["client_id"])])
    assert token_posts(emu)[-1]["headers"]["x-client-last-telemetry"] == "4|2|||"


CAPS = {"access_token": {"xms_cc": {"values": ["CP1"]}}}


def test_capabilities_reach_every_user_flow(emu, make_app, signed_in):
    app = make_app("web-app", client_capabilities=["CP1"])
    url = app.get_authorization_request_url(["User.Read"], redirect_uri="https://localhost/callback")
    assert json.loads(query_of(url)["claims"]) == CAPS
    web, _ = signed_in(client_capabilities=["CP1"])
    web.acquire_token_silent(["User.Read"], web.get_accounts()[0], force_refresh=True)
    for grant in ("authorization_code", "refresh_token"):
        assert json.loads(token_posts(emu, grant)[-1]["form"]["claims"]) == CAPS, grant


def test_claims_challenge_skips_the_cached_token_and_is_merged(emu, signed_in):
    app, first = signed_in(client_capabilities=["CP1"])
    account = app.get_accounts()[0]
    challenge = '{"access_token": {"acrs": {"essential": true, "value": "c1"}}}'
    result = app.acquire_token_silent(["User.Read"], account, claims_challenge=challenge)
    assert result["token_source"] == "identity_provider"
    sent = json.loads(token_posts(emu, "refresh_token")[-1]["form"]["claims"])
    assert sent == {
        "access_token": {"xms_cc": {"values": ["CP1"]}, "acrs": {"essential": True, "value": "c1"}}
    }


def test_a_claims_challenge_that_is_not_json_is_a_value_error(signed_in):
    import pytest

    app, _ = signed_in()
    with pytest.raises(ValueError, match="claims_challenge"):
        app.acquire_token_silent(["User.Read"], app.get_accounts()[0], claims_challenge="{oops")


def test_a_claims_challenge_from_the_service_can_be_answered(emu, signed_in):
    app, _ = signed_in(client_capabilities=["CP1"])
    account = app.get_accounts()[0]
    emu.inject("claims_challenge", "token", times=1)
    try:
        refused = app.acquire_token_silent_with_error(["User.Read"], account, force_refresh=True)
    finally:
        emu.clear_faults()
    assert refused["error"] == "invalid_grant" and refused["claims"]
    result = app.acquire_token_silent(["User.Read"], account, claims_challenge=refused["claims"])
    assert "access_token" in result
    sent = json.loads(token_posts(emu, "refresh_token")[-1]["form"]["claims"])
    assert sent["access_token"]["xms_cc"] == {"values": ["CP1"]}
    assert set(json.loads(refused["claims"])["access_token"]) <= set(sent["access_token"])
