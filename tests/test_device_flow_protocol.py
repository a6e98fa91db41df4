"""The RFC 8628 module of the protocol layer, against the emulator, on a clock the test drives."""

import ast
import os

import pytest
import msal
from support.wire import token_posts
from msal._http.requests_client import RequestsHttpClient
from msal.exceptions import LIBRARY_ERROR_CODES
from msal.oauth2cli import device_flow
from msal.oauth2cli.http import read_json_object
from msal.oauth2cli.oauth2 import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


# RFC 6749 §5.2 and §4.1.2.1, RFC 8628 §3.5: codes the library may relay or imitate
STANDARD_ERROR_CODES = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "authorization_pending",
    "slow_down",
    "expired_token",
}


def _error_literals(path):
    """The string literals a source file puts in an error dict's ``error``."""
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "error" and isinstance(value, ast.Constant):
                    yield value.value
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "error"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            yield node.value.value


def test_every_error_code_the_library_makes_up_is_listed_in_exceptions():
    package = os.path.join(ROOT, "msal")
    found = {}
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                for code in _error_literals(path):
                    found.setdefault(code, os.path.relpath(path, ROOT))
    unlisted = {
        code: where for code, where in found.items() if code not in LIBRARY_ERROR_CODES | STANDARD_ERROR_CODES
    }
    assert unlisted == {}
    assert found, "the scan found no error dict at all"
    with open(os.path.join(package, "exceptions.py"), encoding="utf-8") as doc:
        text = doc.read()
    assert all("``{}``".format(code) in text for code in LIBRARY_ERROR_CODES)
