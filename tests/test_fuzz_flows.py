"""Fuzzing what applications hand back to the library: auth responses and device-flow dicts.

Against the emulator: a random auth response yields ValueError or an error dict, and no request
reaches the token endpoint unless its state matches the flow's; a random device-flow dict yields
ValueError or an error dict, after at most one poll.
"""

from collections.abc import Mapping

import pytest
from hypothesis import given, settings, strategies as st

import msal

from fuzzing import FUZZ, Answer, json_like

json_values = json_like(max_leaves=8)


def token_posts(emulator):
    return len(emulator.requests.matching("/oauth2/v2.0/token", "POST"))


@pytest.fixture(scope="module")
def web_app(emulator):
    app = emulator.app("web-app")
    return msal.ConfidentialClientApplication(
        app["client_id"],
        client_credential=emulator.client_credential("web-app"),
        authority=emulator.authority(),
        verify=emulator.ca_path,
        instance_discovery=False,
    )


def auth_responses(state):
    """Mostly dicts shaped like a redirect's parameters, with the right state now and then."""
    states = (
        st.just(state) | st.text(max_size=30) | json_values | st.just(state + "x") | st.just(state.upper())
    )
    shaped = st.fixed_dictionaries(
        {},
        optional={
            "state": states,
            "code": st.text(max_size=40) | json_values,
            "error": st.sampled_from(["access_denied", "", "invalid_request"]) | json_values,
            "error_description": st.text(max_size=20),
            "session_state": st.text(max_size=10),
            "client_info": st.text(max_size=20),
            "id_token": st.text(max_size=20),
        },
    )
    extra = st.dictionaries(st.text(max_size=6), json_values, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, shaped, extra) | json_values


@settings(max_examples=400, **FUZZ)
@given(data=st.data())
def test_random_auth_responses(web_app, emulator, data):
    flow = web_app.initiate_auth_code_flow(["User.Read"], redirect_uri="https://localhost/callback")
    response = data.draw(auth_responses(flow["state"]))
    before = token_posts(emulator)
    try:
        result = web_app.acquire_token_by_auth_code_flow(flow, response)
    except ValueError:
        result = None
    state_matches = isinstance(response, Mapping) and response.get("state") == flow["state"]
    if not state_matches:
        assert token_posts(emulator) == before, "a response with a wrong state reached the server"
    if result is not None:
        assert isinstance(result, dict) and "error" in result, result
        assert "access_token" not in result


PAST = 1_000_000_000  # 2001

# Device-flow dicts as an application might hand back, tampered with at random. ``expires_at`` is
# never a future number, so that polling stops after one request.
device_flows = (
    st.fixed_dictionaries(
        {},
        optional={
            "device_code": st.text(max_size=30) | json_values,
            "user_code": st.text(max_size=10),
            "message": st.text(max_size=20),
            # An infinite interval is a known bug (test_tampered_device_flow_is_a_value_error).
            "interval": json_values.filter(lambda v: v not in (float("inf"), float("-inf"))),
            "expires_in": json_values,
            "expires_at": st.integers(-(10**12), PAST)
            | st.floats(max_value=PAST, allow_nan=False)
            | st.none()
            | st.text(max_size=5)
            | st.lists(st.integers() | st.text(max_size=5), max_size=2),
            # A tampered "_scope" is a known bug (test_tampered_device_flow_is_a_value_error).
            "_scope": st.lists(st.text(max_size=8), max_size=3),
        },
    )
    | json_values
)


class PendingTokenEndpoint(object):
    """An HttpClient double: discovery goes to the emulator, and every token POST is answered
    ``authorization_pending`` (RFC 8628 §3.5), which is what sends the flow into its polling."""

    def __init__(self, real):
        self.real, self.posts = real, 0

    def get(self, url, **kwargs):
        return self.real.get(url, **kwargs)

    def post(self, url, **kwargs):
        self.posts += 1
        return Answer(400, '{"error": "authorization_pending", "error_description": "wait"}')


@pytest.fixture(scope="module")
def public_app(emulator):
    return msal.PublicClientApplication(
        emulator.app("public")["client_id"],
        authority=emulator.authority(),
        verify=emulator.ca_path,
        instance_discovery=False,
    )


@pytest.fixture(scope="module")
def pending_app(emulator):
    from msal._http.requests_client import RequestsHttpClient

    double = PendingTokenEndpoint(RequestsHttpClient(verify=emulator.ca_path))
    app = msal.PublicClientApplication(
        emulator.app("public")["client_id"],
        http_client=double,
        authority=emulator.authority(),
        instance_discovery=False,
    )
    return app, double


def check_device_result(call):
    try:
        result = call()
    except ValueError:
        return None
    assert isinstance(result, dict) and "error" in result, result
    return result


@settings(max_examples=300, **FUZZ)
@given(device_flows)
def test_random_device_flows_against_the_emulator(public_app, flow):
    check_device_result(lambda: public_app.acquire_token_by_device_flow(flow))


@pytest.mark.parametrize(
    "tampered", [{"_scope": [None]}, {"interval": float("inf")}], ids=["scope", "interval"]
)
def test_tampered_device_flow_is_a_value_error(pending_app, tampered):
    app, _ = pending_app
    with pytest.raises(ValueError):
        app.acquire_token_by_device_flow(dict({"device_code": "x", "expires_at": 0}, **tampered))


@settings(max_examples=400, **FUZZ)
@given(device_flows)
def test_random_device_flows_while_the_user_has_not_finished(pending_app, flow):
    app, double = pending_app
    double.posts = 0
    check_device_result(lambda: app.acquire_token_by_device_flow(flow))
    assert double.posts <= 1
