"""The TypedDicts of msal._types name every key the library really produces."""

import threading

import pytest

from msal._http.requests_client import RequestsHttpClient
from msal._types import Account, AuthCodeFlow, DeviceFlow, TokenEvent, TokenResult
from msal.oauth2cli.client_auth import SecretAuth
from msal.oauth2cli.oauth2 import Client


def keys(typed_dict):
    return set(typed_dict.__annotations__)


def test_accounts_flows_and_results_use_only_named_keys(emu, make_app):
    emu.device_code_interval = 1
    app = make_app("public")
    auth_flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri="http://localhost:8400", max_age=60)
    assert set(auth_flow) <= keys(AuthCodeFlow), set(auth_flow) - keys(AuthCodeFlow)
    flow = app.initiate_device_flow(["User.Read"])
    assert set(flow) <= keys(DeviceFlow), set(flow) - keys(DeviceFlow)
    user = emu.user("alice@" + emu.tenant_domain)
    approver = threading.Timer(
        0.5, emu.approve_device_code, (flow["user_code"], user["username"], user["password"])
    )
    approver.start()
    result = app.acquire_token_by_device_flow(flow)
    approver.join()
    assert "access_token" in result and set(result) <= keys(TokenResult), set(result) - keys(TokenResult)
    [account] = app.get_accounts()
    assert set(account) <= keys(Account), set(account) - keys(Account)


def test_the_token_event_has_exactly_the_named_keys(emu):
    events = []
    app = emu.app("confidential-secret")
    http = RequestsHttpClient(verify=emu.ca_path)
    client = Client(
        http,
        app["client_id"],
        emu.token_endpoint(),
        client_auth=SecretAuth(emu.client_credential("confidential-secret")),
        on_obtaining_tokens=events.append,
    )
    result = client.obtain_token_for_client(["https://graph.microsoft.com/.default"])
    http.close()
    assert "access_token" in result, result
    [event] = events
    # The application adds the environment; only on-behalf-of adds the assertion's hash
    assert set(event) == keys(TokenEvent) - {"environment", "user_assertion_hash"}
    assert "client_secret" not in event["data"]


HTTP_CLIENTS = """
import requests
from msal._http.requests_client import RequestsHttpClient
from msal._http.throttle import ThrottledHttpClient
from msal.oauth2cli.http import HttpClient, HttpClientProtocol, ResponseProtocol

session: HttpClientProtocol = requests.Session()
ours: HttpClientProtocol = RequestsHttpClient()
throttled: HttpClientProtocol = ThrottledHttpClient(ours, {})
subclass: HttpClientProtocol = HttpClient()


class PostOnly:
    def post(self, url: str) -> None: ...


wrong: HttpClientProtocol = PostOnly()  # line 17
"""


def test_the_http_client_protocol_admits_sessions_and_subclasses_only(tmp_path):
    """requests.Session, the transport's clients and the documented HttpClient qualify; a client
    without get does not."""
    mypy = pytest.importorskip("mypy.api", reason="mypy is not installed (it is in the test extra)")
    snippet = tmp_path / "clients.py"
    snippet.write_text(HTTP_CLIENTS)
    out, err, status = mypy.run(["--strict", "--no-incremental", "--follow-imports=silent", str(snippet)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1 and len(errors) == 1, out + err
    assert "clients.py:17:" in errors[0] and "HttpClientProtocol" in errors[0]


# Code written against the untyped original msal: it hands results to functions that take a
# plain dict, reads keys the identity provider adds, and writes into the flow dict.
USER_CODE = """
from typing import Any, Dict, List
import msal

def keep(session: Dict[str, Any], result: Dict[str, Any]) -> None:
    session["token"] = result

def usernames(accounts: List[Dict[str, Any]]) -> List[str]:
    return [a["username"] for a in accounts]

def run(app: msal.ConfidentialClientApplication, session: Dict[str, Any]) -> None:
    result = {RESULT}
    keep(session, result)
    claims = result["id_token_claims"]["oid"]
    extra = result["refresh_on"], result["some_key_a_tenant_adds"]
    usernames(app.get_accounts())
    flow = app.initiate_auth_code_flow(["User.Read"])
    flow["next_page"] = "/"
    keep(session, flow)
"""


def _mypy_errors(tmp_path, source):
    mypy = pytest.importorskip("mypy.api", reason="mypy is not installed (it is in the test extra)")
    snippet = tmp_path / "user_code.py"
    snippet.write_text(source)
    out, err, _ = mypy.run(["--strict", "--no-incremental", "--follow-imports=silent", str(snippet)])
    return [line for line in out.splitlines() if ": error:" in line]


def test_code_written_for_the_untyped_original_type_checks_against_the_public_api(tmp_path):
    """Public calls return plain ``Dict[str, Any]`` on purpose: a TypedDict is not a ``dict`` to a
    type checker, so returning one would break user code that passes results on as dicts."""
    source = USER_CODE.replace("{RESULT}", 'app.acquire_token_for_client(["s/.default"])')
    assert _mypy_errors(tmp_path, source) == []


def test_the_same_code_would_not_type_check_if_the_public_api_returned_typed_dicts(tmp_path):
    """The reason above, shown: the same user code over TokenResult fails in several places."""
    source = USER_CODE.replace("{RESULT}", "msal_result()") + "\n\ndef msal_result() -> TokenResult: ...\n"
    source = "from msal._types import TokenResult\n" + source
    errors = _mypy_errors(tmp_path, source)
    assert any("incompatible type" in e and "TokenResult" in e for e in errors), errors
    assert any("some_key_a_tenant_adds" in e for e in errors), errors
