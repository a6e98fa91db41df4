"""The RFC 8628 module of the protocol layer, against the emulator, on a clock the test drives."""

import pytest
import msal
from support.wire import token_posts
from msal._http.requests_client import RequestsHttpClient
from msal.oauth2cli import device_flow
from msal.oauth2cli.http import read_json_object
from msal.oauth2cli.oauth2 import Client


class FakeClock:
    """The client's clock and sleep: sleeping moves the clock, and each wait is recorded."""

    def __init__(self, start=1_000_000.0):
        self.time = start
        self.slept = []

    def now(self):
        return self.time

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.time += seconds


@pytest.fixture
def device(emu):
    """A public client's protocol pieces: its session, its token client, the device endpoint.

    The emulator answers an interval of 0, which the client does not take (an interval must be
    positive): it polls every 5 s (RFC 8628 §3.2) on the test's clock, while the emulator, which
    sees the polls come at once, has no interval to find them too fast for.
    """
    emu.device_code_interval = 0
    session = RequestsHttpClient(verify=emu.ca_path)
    client_id = emu.app("public")["client_id"]
    endpoint = emu.token_endpoint().rsplit("/", 1)[0] + "/devicecode"
    yield session, Client(session, client_id, emu.token_endpoint()), endpoint
    session.close()


def start(session, client, endpoint, clock):
    return device_flow.request_device_code(
        session, endpoint, client.client_id, ["openid", "offline_access", "User.Read"], {}, now=clock.now
    )


def poller(client, flow, before_poll=lambda n: None):
    polls = []

    def request_token():
        polls.append(None)
        before_poll(len(polls))
        return client.obtain_token(device_flow.GRANT_TYPE, {"device_code": flow["device_code"]})

    return request_token, polls


def test_slow_down_adds_five_seconds_to_every_later_wait(emu, device):
    """RFC 8628 §3.5: after slow_down the interval grows by 5 s, and stays grown."""
    session, client, endpoint = device
    clock = FakeClock()
    flow = start(session, client, endpoint, clock)
    assert flow["interval"] == 5 and flow["expires_at"] == clock.time + flow["expires_in"]
    emu.inject("status", "token", status=400, error="slow_down")
    waits_before = {}

    def approve_on_third(n):
        waits_before[n] = clock.time
        if n == 3:
            user = emu.user("alice@" + emu.tenant_domain)
            emu.approve_device_code(flow["user_code"], user["username"], user["password"])

    request_token, polls = poller(client, flow, approve_on_third)
    result = device_flow.poll(flow, request_token, now=clock.now, sleep=clock.sleep)
    assert "access_token" in result, result
    assert len(polls) == 3
    assert waits_before[2] - waits_before[1] == pytest.approx(10)  # slow_down: 5 + 5
    assert waits_before[3] - waits_before[2] == pytest.approx(10)  # pending keeps the new one
    assert max(clock.slept) <= device_flow.ABORT_CHECK_INTERVAL  # waits in slices


def test_polling_stops_when_the_code_expires_on_the_clients_clock(emu, device):
    session, client, endpoint = device
    clock = FakeClock()
    flow = start(session, client, endpoint, clock)
    flow["expires_at"] = clock.time + 12
    request_token, polls = poller(client, flow)
    result = device_flow.poll(flow, request_token, now=clock.now, sleep=clock.sleep)
    assert result["error"] == device_flow.AUTHORIZATION_PENDING
    assert len(polls) == 3 == len(token_posts(emu, device_flow.GRANT_TYPE))  # at t = 0, 5, 10


def test_should_stop_ends_polling_before_the_next_request(emu, device):
    session, client, endpoint = device
    clock = FakeClock()
    flow = start(session, client, endpoint, clock)
    request_token, polls = poller(client, flow)
    result = device_flow.poll(
        flow,
        request_token,
        now=clock.now,
        sleep=clock.sleep,
        should_stop=lambda f: f is flow and len(polls) == 2,
    )
    assert result["error"] == device_flow.AUTHORIZATION_PENDING and len(polls) == 2


@pytest.mark.parametrize("error", [device_flow.ACCESS_DENIED, device_flow.EXPIRED_TOKEN, "invalid_grant"])
def test_an_error_other_than_pending_or_slow_down_ends_the_grant(emu, device, error):
    session, client, endpoint = device
    clock = FakeClock()
    flow = start(session, client, endpoint, clock)
    emu.inject("status", "token", status=400, error=error)
    request_token, polls = poller(client, flow)
    result = device_flow.poll(flow, request_token, now=clock.now, sleep=clock.sleep)
    assert result["error"] == error and len(polls) == 1 and clock.slept == []


def test_the_device_code_request_carries_the_originals_headers(emu, make_app):
    """Like the original: base headers and the flow's client-request-id, no per-call telemetry."""
    app = make_app("public")
    flow = app.initiate_device_flow(["User.Read"])
    [request] = [r for r in emu.requests if r["path"].endswith("/devicecode")]
    headers = request["headers"]
    assert headers["x-client-sku"] == "MSAL.Python" and headers["x-client-ver"]
    assert headers["client-request-id"] == flow["_correlation_id"]
    assert "x-client-current-telemetry" not in headers
    assert request["form"] == {
        "client_id": emu.app("public")["client_id"],
        "scope": "User.Read offline_access openid profile",
    }


@pytest.mark.parametrize(
    "kind,options,words",
    [
        ("html", {"status": 502}, "answered HTTP 502 with a body that is not a JSON object"),
        ("body", {"status": 307, "location": "https://elsewhere.example/x"}, "redirect"),
        ("truncated_json", {}, "not a JSON object"),
    ],
)
def test_a_bad_device_code_answer_is_a_clear_error(emu, make_app, kind, options, words):
    emu.inject(kind, "devicecode", **options)
    flow = make_app("public").initiate_device_flow(["User.Read"])
    assert flow["error"] == "invalid_response"
    assert "device authorization endpoint" in flow["error_description"]
    assert words in flow["error_description"]


def test_one_reader_for_every_json_answer(emu, device):
    """Token, device code and discovery answers go through the same reader, with one wording."""
    session, client, endpoint = device
    emu.inject("html", "token", status=500)
    assert client.obtain_token("client_credentials", {})["error_description"].startswith(
        "The token endpoint answered HTTP 500 with a body that is not a JSON object"
    )
    emu.inject("html", "discovery", status=500)
    app = msal.PublicClientApplication(
        emu.app("public")["client_id"],
        authority=emu.authority(),
        verify=emu.ca_path,
        instance_discovery=False,
    )
    with pytest.raises(ValueError, match="The discovery endpoint answered HTTP 500"):
        app.initiate_device_flow(["User.Read"])
    assert read_json_object(session.get(emu.authority() + "/v2.0/.well-known/openid-configuration"), "x")[
        "issuer"
    ]
