"""Where credentials may go: https endpoints of the authority only, never a redirect's target,
never a federation document fetched in clear text; and telemetry that one odd answer cannot
turn into a header that breaks every later request."""

import base64
import json
import time

import pytest
import requests

import msal
from msal._entra import mex, wstrust

from support.apps import GRAPH_DEFAULT
from support.wire import token_posts

CAROL = "carol@fabrikam.example"


def web_api_default(emu):
    return "api://{}/.default".format(emu.app("web-api")["client_id"])


def discovery_document(emu, **changes):
    """The emulator's OpenID configuration of its default tenant, with some fields changed
    (a value of None removes the field)."""
    doc = requests.get(emu.authority() + "/v2.0/.well-known/openid-configuration", verify=emu.ca_path).json()
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not None})


class RecordingClient(object):
    """An http_client that remembers every call and delegates to a requests.Session."""

    def __init__(self, session=None, verify=None):
        self.session = session or requests.Session()
        self.verify = verify
        self.calls = []

    def _options(self, kwargs):
        if self.verify:
            kwargs["verify"] = self.verify
        return kwargs

    def get(self, url, **kwargs):
        self.calls.append(("GET", url, dict(kwargs)))
        return self.session.get(url, **self._options(kwargs))

    def post(self, url, **kwargs):
        self.calls.append(("POST", url, {k: v for k, v in kwargs.items() if k != "data"}))
        return self.session.post(url, **self._options(kwargs))


# ---- Redirects are never followed, and an answer reached through one is refused -----------


def test_a_redirected_token_post_is_an_error_not_followed_nothing_cached(emu, make_app):
    app = make_app("confidential-secret")
    emu.inject("body", "token", status=307, body="", location=emu.token_endpoint() + "?moved=1")
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_response"
    assert "307" in result["error_description"] and "redirect" in result["error_description"]
    assert len(token_posts(emu)) == 1  # the secret went nowhere else
    assert app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN) == []


def test_an_answer_a_custom_client_reached_through_a_redirect_is_not_cached(emu):
    authority = "https://login.microsoftonline.com/" + emu.tenant_id
    app = msal.ConfidentialClientApplication(
        emu.app("confidential-secret")["client_id"],
        client_credential=emu.client_credential("confidential-secret"),
        authority=authority,
        http_client=emu.http_client(),
    )  # a Session: follows redirects
    emu.inject("body", "token", status=307, body="", location=authority + "/oauth2/v2.0/token?moved=1")
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_response" and "redirect" in result["error_description"]
    assert "access_token" not in result
    assert app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN) == []


@pytest.mark.parametrize(
    "endpoint, status, path, ws_trust_posts",
    [
        ("wstrust", 307, "/adfs/services/trust/13/usernamemixed", 1),
        ("mex", 302, "/adfs/services/trust/mex", 0),
    ],
)
def test_a_redirect_from_a_federation_endpoint_is_a_federation_error(
    emu, make_app, endpoint, status, path, ws_trust_posts
):
    carol = emu.user(CAROL)
    emu.inject("body", endpoint, status=status, body="", location=emu.base_url + path)
    app = make_app("public")
    result = app.acquire_token_by_username_password(carol["username"], carol["password"], ["User.Read"])
    assert result["error"] == "federation_error"
    assert str(status) in result["error_description"]
    assert len([r for r in emu.requests if "usernamemixed" in r["path"]]) == ws_trust_posts
    assert token_posts(emu) == [] and app.get_accounts() == []


# ---- The federation metadata only over https -----------------------------------------------


def test_a_federation_metadata_url_over_plain_http_is_refused(emu, make_app):
    realm = requests.get(
        emu.base_url + "/common/userrealm/{}?api-version=1.0".format(CAROL), verify=emu.ca_path
    ).json()
    realm["federation_metadata_url"] = realm["federation_metadata_url"].replace("https://", "http://")
    emu.inject("body", "userrealm", body=json.dumps(realm))
    client = RecordingClient(verify=emu.ca_path)
    app = make_app("public", http_client=client)
    carol = emu.user(CAROL)
    result = app.acquire_token_by_username_password(carol["username"], carol["password"], ["User.Read"])
    assert result["error"] == "federation_error"
    assert "not https" in result["error_description"]
    assert [url for _, url, _ in client.calls if not url.startswith("https://")] == []
    assert token_posts(emu) == []


def test_mex_fetch_refuses_a_url_that_is_not_https_without_asking():
    class NoNetwork(object):
        def get(self, url, **kwargs):
            raise AssertionError("no request may be made")

    for url in ("http://adfs.example/adfs/services/trust/mex", "", None, "ftp://x/mex"):
        with pytest.raises(mex.MexError, match="not https"):
            mex.fetch_endpoint(NoNetwork(), url)


# ---- Discovered endpoints: https, on the authority's host ----------------------------------


@pytest.mark.parametrize(
    "field", ["token_endpoint", "authorization_endpoint", "device_authorization_endpoint"]
)
def test_a_discovered_endpoint_over_plain_http_is_a_value_error(emu, make_app, field):
    doc = json.loads(discovery_document(emu))
    emu.inject(
        "body",
        "discovery",
        body=discovery_document(emu, **{field: doc[field].replace("https://", "http://")}),
    )
    app = make_app("confidential-secret")
    with pytest.raises(ValueError, match="{}.*not an https URL".format(field)):
        app.acquire_token_for_client([GRAPH_DEFAULT])
    assert token_posts(emu) == []


def test_a_discovered_token_endpoint_on_another_host_is_a_value_error(emu, make_app):
    emu.inject(
        "body",
        "discovery",
        body=discovery_document(
            emu, token_endpoint="https://127.0.0.1:{}/{}/oauth2/v2.0/token".format(emu.port, emu.tenant_id)
        ),
    )
    app = make_app("confidential-secret")
    with pytest.raises(ValueError, match="token_endpoint.*neither the authority's host"):
        app.acquire_token_for_client([GRAPH_DEFAULT])
    assert token_posts(emu) == []


def test_endpoints_on_an_alias_of_a_well_known_host_are_accepted(emu):
    """login.windows.net is the public cloud too: its discovery may name login.microsoftonline.com."""
    session = emu.http_client()
    doc = session.get(
        "https://login.microsoftonline.com/{}/v2.0/.well-known/openid-configuration".format(emu.tenant_id)
    ).json()
    emu.inject("body", "discovery", host="login.windows.net", body=json.dumps(doc))
    app = msal.ConfidentialClientApplication(
        emu.app("confidential-secret")["client_id"],
        client_credential=emu.client_credential("confidential-secret"),
        authority="https://login.windows.net/" + emu.tenant_id,
        http_client=session,
    )
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    assert [p["host"].split(":")[0] for p in token_posts(emu)] == ["login.microsoftonline.com"]


# ---- Device flow without an advertised device endpoint -------------------------------------


def test_device_flow_falls_back_to_devicecode_beside_the_token_endpoint(emu, make_app):
    emu.inject("body", "discovery", body=discovery_document(emu, device_authorization_endpoint=None))
    flow = make_app("public").initiate_device_flow(["User.Read"])
    assert "user_code" in flow, flow
    [request] = [r for r in emu.requests if r["method"] == "POST"]
    assert request["path"] == "/{}/oauth2/v2.0/devicecode".format(emu.tenant_id)


def test_device_flow_without_any_usable_endpoint_is_an_error(emu, make_app):
    emu.inject(
        "body",
        "discovery",
        body=discovery_document(
            emu, device_authorization_endpoint=None, token_endpoint=emu.authority() + "/oauth2/v2.0/issue"
        ),
    )
    flow = make_app("public").initiate_device_flow(["User.Read"])
    assert flow["error"] == "unsupported_device_flow"


# ---- Instance discovery: the request shape custom http_clients see --------------------------


def test_instance_discovery_is_a_get_with_params_as_the_original_sends(emu):
    client = RecordingClient(session=emu.http_client())
    app = msal.PublicClientApplication(
        "cid", authority="https://login.unknown-cloud.example/common", http_client=client
    )
    with pytest.raises(ValueError, match="invalid_instance"):
        app.get_authorization_request_url(["User.Read"])
    [(method, url, kwargs)] = [c for c in client.calls if "discovery/instance" in c[1]]
    assert url == "https://login.microsoftonline.com/common/discovery/instance"
    assert kwargs["params"] == {
        "authorization_endpoint": "https://login.unknown-cloud.example/common/oauth2/v2.0/authorize",
        "api-version": "1.0",
    }
    [request] = [r for r in emu.requests if "discovery/instance" in r["path"]]
    assert request["query"]["api-version"] == "1.0"


# ---- WS-Trust answers: parsed once, linearly, with a size bound ----------------------------

ASSERTION = (
    '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" '
    'IssueInstant="2026-01-01T00:00:00Z" Version="2.0">\n  <saml:Issuer>https://adfs.example'
    "</saml:Issuer><!-- signed: keep > these & bytes -->"
    "<saml:Subject><saml:NameID>carol&amp;co</saml:NameID></saml:Subject></saml:Assertion>"
)


def rstr(assertion=ASSERTION, token_type="urn:oasis:names:tc:SAML:2.0:assertion", padding=""):
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">{padding}<s:Body>'
        "<trust:RequestSecurityTokenResponseCollection "
        'xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512">'
        "<trust:RequestSecurityTokenResponse><trust:TokenType>{token_type}</trust:TokenType>"
        "<trust:RequestedSecurityToken>  {assertion}\n</trust:RequestedSecurityToken>"
        "<trust:RequestedAttachedReference/></trust:RequestSecurityTokenResponse>"
        "</trust:RequestSecurityTokenResponseCollection></s:Body></s:Envelope>"
    ).format(padding=padding, token_type=token_type, assertion=assertion)


def test_the_assertion_is_taken_byte_for_byte():
    grant, assertion = wstrust.parse_response(rstr())
    assert grant == wstrust.SAML2_GRANT
    assert base64.b64decode(assertion).decode("utf-8") == ASSERTION


def test_a_large_answer_within_the_bound_parses():
    padding = "<!-- {} -->".format("x" * (wstrust.MAX_RESPONSE_CHARS - 2000))
    body = rstr(padding=padding)
    assert len(body) <= wstrust.MAX_RESPONSE_CHARS
    assert base64.b64decode(wstrust.parse_response(body)[1]).decode("utf-8") == ASSERTION


def test_an_answer_over_the_bound_is_refused_with_a_clear_error():
    body = rstr(padding="<!-- {} -->".format("x" * wstrust.MAX_RESPONSE_CHARS))
    with pytest.raises(wstrust.WsTrustError, match="larger than"):
        wstrust.parse_response(body)


def test_many_empty_token_elements_are_no_assertion():
    """The shape that made a backtracking search quadratic: opening tags with no content."""
    many = "<trust:RequestedSecurityToken/>" * 5000
    body = rstr(assertion="").replace("<trust:RequestedAttachedReference/>", many)
    with pytest.raises(wstrust.WsTrustError, match="no SAML assertion"):
        wstrust.parse_response(body)


def test_a_document_type_declaration_is_refused():
    body = '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e "entity">]>' + rstr().split("?>", 1)[1].replace(
        "carol&amp;co", "&e;"
    )
    with pytest.raises(wstrust.WsTrustError, match="not XML"):
        wstrust.parse_response(body)


def test_a_soap_fault_is_refused_credentials():
    body = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
        "<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>a:FailedAuthentication"
        '</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">ID3242: no'
        "</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
    )
    with pytest.raises(wstrust.CredentialsRefused, match="ID3242: no .s:Sender, a:FailedAuthentication"):
        wstrust.parse_response(body)


def test_an_oversized_mex_document_is_refused():
    with pytest.raises(mex.MexError, match="larger than"):
        mex.username_password_endpoint("<a>" + " " * mex.MAX_DOCUMENT_CHARS + "</a>")


# ---- Telemetry headers survive odd error values ---------------------------------------------


@pytest.mark.parametrize("error", ["bad\r\nX-Injected: 1", "caf\u00e9 \u2603 \u0000", "a|b,c"])
def test_an_odd_error_value_does_not_poison_later_requests(emu, make_app, error):
    app = make_app("confidential-secret")
    emu.inject("body", "token", status=400, body=json.dumps({"error": error}))
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["error"] == error
    result = app.acquire_token_for_client([web_api_default(emu)])
    assert "access_token" in result, result
    failed, later = [p["headers"] for p in token_posts(emu)]
    header = later["x-client-last-telemetry"]
    assert header.isprintable()
    header.encode("latin-1")  # what HTTP/1.1 can carry
    schema, hits, requests_part, errors, tail = header.split("|")
    assert requests_part == "730,{}".format(failed["client-request-id"])
    assert errors and "," not in errors and tail == ""


def test_failures_accumulate_in_last_telemetry_until_a_success(emu, make_app):
    """As the original: every failed request since the last success is reported, in order."""
    app = make_app("confidential-secret")
    for n in (1, 2):
        emu.inject("body", "token", status=400, body=json.dumps({"error": "error_%d" % n}))
        assert (
            app.acquire_token_for_client(["https://nope{}.example/.default".format(n)])["error"]
            == "error_%d" % n
        )
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in app.acquire_token_for_client([web_api_default(emu)])
    first, second, success, after = [p["headers"] for p in token_posts(emu)]
    assert success["x-client-last-telemetry"] == "4|0|730,{},730,{}|error_1,error_2|".format(
        first["client-request-id"], second["client-request-id"]
    )
    assert after["x-client-last-telemetry"] == "4|0|||"


def test_last_telemetry_keeps_the_earliest_failures_that_fit(emu, make_app):
    """As the original: once the header would pass its length bound (6 invalid_scope failures
    fill it), later failures are not reported; an error too long to fit is never reported."""
    app = make_app("confidential-secret")
    for n in range(8):
        assert (
            app.acquire_token_for_client(["https://nope{}.example/.default".format(n)])["error"]
            == "invalid_scope"
        )
    emu.inject("body", "token", status=400, body=json.dumps({"error": "x" * 400}))
    app2 = make_app("confidential-secret")
    app2.acquire_token_for_client(["https://nope-long.example/.default"])
    app.acquire_token_for_client([GRAPH_DEFAULT])
    app2.acquire_token_for_client([GRAPH_DEFAULT])
    posts = [p["headers"] for p in token_posts(emu)]
    expected = "4|0|{}|{}|".format(
        ",".join("730," + p["client-request-id"] for p in posts[:6]), ",".join(["invalid_scope"] * 6)
    )
    assert posts[9]["x-client-last-telemetry"] == expected
    assert len(expected) <= 353 and posts[10]["x-client-last-telemetry"] == "4|0|||"


# ---- x-client-current-telemetry of a silent call says why the refresh happened ---------------


def _expire(state, now):
    for entry in state["AccessToken"].values():
        entry["expires_on"] = str(int(now) - 10)


def _refresh_due(state, now):
    for entry in state["AccessToken"].values():
        entry["refresh_on"] = str(int(now) - 10)


def _drop(state, now):
    state["AccessToken"] = {}


CLAIMS = '{"access_token": {"nbf": {"essential": true, "value": "1"}}}'


@pytest.mark.parametrize(
    "change, options, expected",
    [
        (_expire, {}, "4|84,3|"),  # values observed from the original 1.22
        (lambda state, now: (_expire(state, now), _refresh_due(state, now)), {}, "4|84,3|"),
        (_refresh_due, {}, "4|84,4|"),
        (_drop, {}, "4|84,2|"),
        (None, {"force_refresh": True}, "4|84,1|"),
        (None, {"claims_challenge": CLAIMS}, "4|84,1|"),
    ],
    ids=["expired", "expired-and-refresh-due", "refresh-due", "none", "force", "claims"],
)
def test_silent_refresh_telemetry_says_why(emu, signed_in, change, options, expected):
    cache = msal.SerializableTokenCache()
    app, result = signed_in(token_cache=cache)
    state = json.loads(cache.serialize())
    if change:
        change(state, time.time())
    cache.deserialize(json.dumps(state))
    emu.clear_requests()
    result = app.acquire_token_silent(["User.Read"], app.get_accounts()[0], **options)
    assert result and "access_token" in result, result
    [post] = token_posts(emu, "refresh_token")
    assert post["headers"]["x-client-current-telemetry"] == expected


# ---- User realm answers and federation endpoints are reused, per application ---------------


def test_user_realm_and_mex_are_asked_once_per_application_and_user(emu, make_app):
    http_cache = {}
    app = make_app("public", http_cache=http_cache)
    alice, carol = emu.user("alice"), emu.user(CAROL)
    for user in (alice, alice, carol, carol):
        result = app.acquire_token_by_username_password(user["username"], user["password"], ["User.Read"])
        assert "access_token" in result, result
    realm_paths = [r["path"] for r in emu.requests if "/userrealm/" in r["path"]]
    assert realm_paths == ["/common/userrealm/" + alice["username"], "/common/userrealm/" + carol["username"]]
    assert len([r for r in emu.requests if r["path"] == "/adfs/services/trust/mex"]) == 1
    assert len([r for r in emu.requests if "usernamemixed" in r["path"]]) == 2
    # Remembered in the application's memory only, keyed without the user's name
    assert "alice" not in repr(http_cache) and "carol" not in repr(http_cache)
    assert "alice" not in repr(list(app._ctx.discovery._remembered))
    other = make_app("public")
    assert "access_token" in other.acquire_token_by_username_password(
        alice["username"], alice["password"], ["User.Read"]
    )
    assert len([r for r in emu.requests if "/userrealm/" in r["path"]]) == 3


def test_an_unusable_user_realm_answer_is_asked_again(emu, make_app):
    app = make_app("public")
    alice = emu.user("alice")
    emu.inject("html", "userrealm", status=500)
    for _ in range(2):
        assert "access_token" in app.acquire_token_by_username_password(
            alice["username"], alice["password"], ["User.Read"]
        )
    assert len([r for r in emu.requests if "/userrealm/" in r["path"]]) == 2


def test_an_app_name_or_version_that_http_cannot_carry_is_made_safe(emu, make_app):
    app = make_app("confidential-secret", app_name="Caf\u00e9\r\nX-Injected: 1", app_version="1.0 \u2603")
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    [headers] = [p["headers"] for p in token_posts(emu)]
    assert headers["x-app-name"] == "Caf\u00e9__X-Injected: 1"
    assert headers["x-app-ver"] == "1.0 _" and "x-injected" not in headers
