"""The RFC 8628 module of the protocol layer on its own: polling intervals, the request, the
answer."""

import pytest

from msal.oauth2cli import device_flow


@pytest.mark.parametrize(
    "answer,expected",
    [
        ({"error": "authorization_pending"}, 7),
        ({"error": "slow_down"}, 12),
        ({"error": "access_denied"}, None),
        ({"error": "expired_token"}, None),
        ({"access_token": "x"}, None),
    ],
)
def test_next_interval_follows_rfc8628_section_3_5(answer, expected):
    assert device_flow.next_interval(7, answer) == expected


def test_the_request_carries_extension_parameters_only_when_they_have_a_value():
    """RFC 8628 §3.1 plus an identity provider's extensions (Entra takes a ``claims`` request)."""
    assert device_flow.build_request("app", ["openid", "User.Read"]) == {
        "client_id": "app",
        "scope": "openid User.Read",
    }
    assert device_flow.build_request("app", ["openid"], {"claims": '{"id_token": {}}', "empty": None}) == {
        "client_id": "app",
        "scope": "openid",
        "claims": '{"id_token": {}}',
    }


@pytest.mark.parametrize(
    "answer,interval,lifetime",
    [
        ({"device_code": "d", "expires_in": 600, "interval": 3}, 3, 600),
        ({"device_code": "d"}, 5, 900),  # §3.2: no interval means 5 s
        ({"device_code": "d", "expires_in": "soon", "interval": -2}, 5, 900),
    ],
)
def test_parse_response_fills_interval_and_expires_at(answer, interval, lifetime):
    flow = device_flow.parse_response(answer, now=100)
    assert flow["interval"] == interval and flow["expires_at"] == 100 + lifetime
    assert flow["device_code"] == "d"


def test_parse_response_passes_errors_on_and_refuses_an_answer_without_device_code():
    refused = {"error": "invalid_scope", "error_description": "AADSTS70011"}
    assert device_flow.parse_response(refused, now=0) == refused
    assert device_flow.parse_response({"user_code": "U"}, now=0)["error"] == "invalid_response"


@pytest.mark.parametrize("interval", [0, -1, True, "5", 3600, float("nan")])
def test_an_altered_interval_is_a_value_error(interval):
    with pytest.raises(ValueError, match="interval"):
        device_flow.check_interval(interval)
