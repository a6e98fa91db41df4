"""What the library says: its log lines at each decision point (cache, refresh, discovery,
throttling, correlation ids), personal data in them only with ``enable_pii_log=True``, and
the errors a newcomer meets first, each saying what to do."""

import logging

import pytest
import requests

import msal
from msal._entra.discovery import authority_hint
from msal.authority import parse_authority
from support.apps import GRAPH_DEFAULT, build_app
from support.wire import token_posts

PII_MARK = "<pii>"


@pytest.fixture
def msal_log(caplog):
    """The text of every record the ``msal`` loggers emit during the test, at DEBUG."""
    caplog.set_level(logging.DEBUG, logger="msal")

    def lines():
        return [r.getMessage() for r in caplog.records if r.name.startswith("msal")]

    return lines


def having(lines, text):
    return [line for line in lines if text in line]


# ---- Decision lines ------------------------------------------------------------------------


def test_client_credentials_log_miss_then_request_with_its_correlation_id_then_hit(emu, make_app, msal_log):
    app = make_app("confidential-secret")
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    sent = token_posts(emu)[0]["headers"]
    correlation_id = next(v for k, v in sent.items() if k.lower() == "client-request-id")
    first = msal_log()
    assert having(first, "Cache miss: no unexpired access token for the app itself")
    assert having(first, "Token request (grant client_credentials)")
    assert having(first, "correlation id " + correlation_id), first
    assert having(first, "Token endpoint answered HTTP 200 with tokens")

    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "cache"
    later = msal_log()[len(first) :]
    assert having(later, "Cache hit: access token for the app itself"), later
    assert not having(later, "Token request")


def test_discovery_says_whether_it_came_from_the_network_or_earlier(emu, make_app, msal_log):
    http_cache = {}
    make_app("confidential-secret", http_cache=http_cache).acquire_token_for_client([GRAPH_DEFAULT])
    first = msal_log()
    assert having(first, "No instance discovery for {}: instance_discovery=False".format(emu.authority()))
    assert having(first, "openid-configuration: from the network"), first

    make_app("confidential-secret", http_cache=http_cache).acquire_token_for_client([GRAPH_DEFAULT])
    assert having(
        msal_log()[len(first) :],
        "Endpoints of {}: discovered earlier in this process".format(emu.authority()),
    )


def test_silent_refresh_logs_the_refresh_token_it_tried_with_the_account_hidden(emu, signed_in, msal_log):
    app, _ = signed_in()
    account = app.get_accounts()[0]
    result = app.acquire_token_silent(["User.Read"], account, force_refresh=True)
    assert result["token_source"] == "identity_provider"
    lines = msal_log()
    assert having(lines, "Trying refresh token 1 of 1: this app's own, for account <pii>"), lines
    assert having(lines, "Token request (grant refresh_token)")
    assert having(lines, "Refresh token 1 redeemed")
    assert_no_personal_data(lines, account)


def test_silent_without_refresh_token_says_why_it_returns_none(emu, make_app, msal_log):
    app = make_app("web-app", enable_pii_log=True)
    stranger = {"home_account_id": "uid-of-nobody.tid-of-nowhere", "environment": "x"}
    assert app.acquire_token_silent(["User.Read"], stranger) is None
    lines = msal_log()
    assert having(lines, "Cache miss: no unexpired access token for account uid-of-nobody.tid-of-nowhere"), (
        lines
    )
    assert having(
        lines, "No refresh token in the cache for account uid-of-nobody.tid-of-nowhere: returning None"
    )


def test_silent_refresh_shows_the_account_with_enable_pii_log(emu, signed_in, msal_log):
    app, _ = signed_in(enable_pii_log=True)
    account = app.get_accounts()[0]
    app.acquire_token_silent(["User.Read"], account, force_refresh=True)
    assert having(msal_log(), "for account " + account["home_account_id"])


def test_username_password_keeps_the_username_out_of_logs_unless_allowed(emu, make_app, msal_log):
    alice = emu.user("alice@" + emu.tenant_domain)
    app = make_app("public")
    assert "access_token" in app.acquire_token_by_username_password(
        alice["username"], alice["password"], ["User.Read"]
    )
    lines = msal_log()
    assert having(lines, "User realm of <pii>: managed"), lines
    assert not having(lines, alice["username"])

    shown = make_app("public", enable_pii_log=True)
    shown.acquire_token_by_username_password(alice["username"], alice["password"], ["User.Read"])
    assert having(msal_log()[len(lines) :], "User realm of {}: managed".format(alice["username"]))


def test_on_behalf_of_logs_its_cache_miss_then_hit(emu, signed_in, make_app, msal_log):
    web_app, _ = signed_in()
    api_scope = "{}/access_as_user".format(emu.app("web-api")["app_id_uri"])
    incoming = web_app.acquire_token_silent([api_scope], web_app.get_accounts()[0])
    middle_tier = make_app("web-api")
    before = len(msal_log())
    assert "access_token" in middle_tier.acquire_token_on_behalf_of(incoming["access_token"], ["User.Read"])
    first = msal_log()[before:]
    assert having(first, "Cache miss: on-behalf-of access token for this user assertion")
    assert having(first, "Token request (grant urn:ietf:params:oauth:grant-type:jwt-bearer)")
    again = middle_tier.acquire_token_on_behalf_of(incoming["access_token"], ["User.Read"])
    assert again["token_source"] == "cache"
    assert having(
        msal_log()[before + len(first) :], "Cache hit: on-behalf-of access token for this user assertion"
    )


def test_throttled_request_is_logged_then_replayed_without_being_sent(emu, make_app, msal_log):
    emu.inject("status", "token", status=429, retry_after=120)
    app = make_app("confidential-secret")
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["error"] == "temporarily_unavailable"
    first = msal_log()
    assert having(first, "HTTP 429: identical requests will be answered from the http_cache for 120 s"), first
    assert having(first, "Token endpoint answered HTTP 429, error temporarily_unavailable")

    sent = len(token_posts(emu))
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["error"] == "temporarily_unavailable"
    assert len(token_posts(emu)) == sent
    assert having(msal_log()[len(first) :], "Not sent: an identical request was answered HTTP 429")


def test_region_chosen_is_logged(emu, make_app, msal_log):
    app = make_app(
        "confidential-secret",
        azure_region="westus",
        http_client=emu.http_client(),
        authority=emu.authority().replace(emu.authority().split("/")[2], "login.microsoftonline.com"),
    )
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    assert having(msal_log(), "Region westus: the regional token endpoint serves")
    assert token_posts(emu)[-1]["host"] == "westus.login.microsoft.com"


def assert_no_personal_data(lines, account):
    """Neither the user's names nor ids (the tenant is the app's own authority's: not personal)."""
    uid = account["home_account_id"].partition(".")[0]
    for value in (account["home_account_id"], account["username"], uid):
        assert not having(lines, value), value
    assert having(lines, PII_MARK)


# ---- Errors a newcomer meets first ---------------------------------------------------------


def test_unreachable_instance_discovery_names_instance_discovery_false(emu):
    emu.inject("drop", "instance_discovery", times=None, seconds=600)
    app = msal.ConfidentialClientApplication(
        emu.app("confidential-secret")["client_id"],
        client_credential=emu.client_credential("confidential-secret"),
        authority="https://login.private-cloud.example.com/" + emu.tenant_id,
        http_client=emu.http_client(),
    )
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        app.acquire_token_for_client([GRAPH_DEFAULT])
    message = str(raised.value)
    assert (
        "instance discovery asks https://login.microsoftonline.com/common/discovery/instance "
        "whether login.private-cloud.example.com is a Microsoft cloud" in message
    )
    assert "instance_discovery=False" in message


def test_private_ca_without_verify_says_to_pass_verify(emu):
    app = msal.ConfidentialClientApplication(
        emu.app("confidential-secret")["client_id"],
        client_credential=emu.client_credential("confidential-secret"),
        authority=emu.authority(),
        instance_discovery=False,
    )
    with pytest.raises(requests.exceptions.SSLError) as raised:
        app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)
    assert "verify='/path/to/ca-bundle.pem'" in str(raised.value)


def test_b2c_authority_that_fails_discovery_gets_a_b2c_hint_not_an_entra_one(emu):
    app = msal.PublicClientApplication(
        emu.app("b2c-public")["client_id"],
        authority="https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_nosuchflow",
        http_client=emu.http_client(),
    )
    with pytest.raises(ValueError) as raised:
        app.initiate_auth_code_flow(["https://contosob2c.onmicrosoft.com/api/read"])
    message = str(raised.value)
    assert "AADB2C90022" in message
    assert (
        "A B2C authority names its tenant and a user flow (policy): https://<tenant>"
        ".b2clogin.com/<tenant>.onmicrosoft.com/<policy>" in message
    )
    assert "login.microsoftonline.com" not in message


def test_b2c_hint_says_when_the_authority_names_no_policy():
    hint = authority_hint(parse_authority("https://contoso.b2clogin.com/contoso.onmicrosoft.com"))
    assert hint.endswith("; this one names no policy.")
    with_policy = parse_authority("https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_x")
    assert "names no policy" not in authority_hint(with_policy)


def test_entra_authority_that_fails_discovery_mentions_the_b2c_form_too(emu):
    app = build_app(emu, "public", authority=emu.authority("no-such-tenant.example"))
    with pytest.raises(ValueError) as raised:
        app.initiate_auth_code_flow(["User.Read"])
    message = str(raised.value)
    assert "An Entra authority looks like https://login.microsoftonline.com/" in message
    assert "for Azure AD B2C use https://<tenant>.b2clogin.com" in message


@pytest.mark.parametrize("key", ["private_key", "public_certificate"])
def test_a_file_name_where_pem_text_is_expected_says_to_read_the_file(emu, key):
    credential = dict(emu.client_credential("confidential-cert"))
    credential[key] = "certs/app-credential.pem"
    with pytest.raises(
        ValueError,
        match=r"must be the PEM text itself.*not the name of a file: "
        r"read the file first",
    ) as raised:
        msal.ConfidentialClientApplication(
            emu.app("confidential-cert")["client_id"], client_credential=credential, authority=emu.authority()
        )
    assert "certs/app-credential.pem" not in str(raised.value)


def test_a_hint_keeps_the_exception_type_or_leaves_the_exception_alone():
    from msal._http.hints import with_hint

    class Picky(Exception):
        def __init__(self, code, text):
            super().__init__(code, text)

    hinted = with_hint(requests.exceptions.ConnectionError("refused"), "do this")
    assert type(hinted) is requests.exceptions.ConnectionError
    assert str(hinted) == "refused -- do this"
    original = Picky(1, "odd constructor")
    assert with_hint(original, "do this") is original
