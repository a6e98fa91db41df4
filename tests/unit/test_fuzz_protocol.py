"""Fuzzing the protocol layer's parsers: token endpoint answers and authority strings.

A token endpoint answer of any shape becomes a dict (a token response or an error dict); an
authority string of any shape is accepted or refused with ValueError, and only https is accepted.
"""

import json

from hypothesis import given, settings, strategies as st

import msal
from msal.authority import parse_authority
from msal.oauth2cli.oauth2 import parse_token_response

from fuzzing import FUZZ, Answer, json_like

json_values = json_like()
token_like = st.fixed_dictionaries(
    {},
    optional={
        k: json_values
        for k in [
            "access_token",
            "refresh_token",
            "id_token",
            "error",
            "error_description",
            "expires_in",
            "token_type",
            "scope",
        ]
    },
)


# Nesting is kept below the interpreter's recursion limit here; deeper nesting is a known bug
# (test_deeply_nested_json_body_is_an_error_dict).
bodies = (
    st.text(max_size=200)
    | json_values.map(json.dumps)
    | token_like.map(json.dumps)
    | st.integers(1, 400).map(lambda n: "[" * n + "]" * n)
    | st.integers(1, 400).map(lambda n: '{"a":' * n)
    | st.none()
)
statuses = st.sampled_from([200, 201, 204, 302, 400, 401, 429, 500, 503]) | st.integers(-1, 999) | st.none()


@settings(max_examples=1500, **FUZZ)
@given(statuses, bodies)
def test_any_token_endpoint_answer_becomes_a_dict(status, body):
    result = parse_token_response(Answer(status, body))
    assert isinstance(result, dict)
    ok = isinstance(status, int) and 200 <= status < 300
    if not ok:
        assert "error" in result, "a non-2xx answer must never look like a token response"


def test_deeply_nested_json_body_is_an_error_dict():
    """Found by fuzzing: json.loads raises RecursionError on deeply nested input."""
    result = parse_token_response(Answer(200, "[" * 100000))
    assert result["error"] == "invalid_response"


hosts = st.sampled_from(
    [
        "login.microsoftonline.com",
        "contoso.b2clogin.com",
        "localhost:8443",
        "x.ciamlogin.com",
        "[::1]:1",
        "host:99999",
        "h:x",
        "",
        "user:pw@host",
    ]
)
paths = st.lists(
    st.sampled_from(["common", "adfs", "tenant", "B2C_1_x", "", "..", "%2F"]) | st.text(max_size=8),
    max_size=3,
).map("/".join)
authority_strings = st.builds(
    lambda scheme, host, path, tail: "{}{}/{}{}".format(scheme, host, path, tail),
    st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "", "//", "https:"]),
    hosts,
    paths,
    st.sampled_from(["", "?q=1", "#f", "/", " "]),
) | st.text(max_size=60)


@settings(max_examples=1500, **FUZZ)
@given(authority_strings | json_values)
def test_parse_authority_accepts_or_raises_value_error(authority):
    try:
        parsed = parse_authority(authority)
    except ValueError:
        return
    assert parsed.url.startswith("https://")
    if authority is not None:  # None means the default, https://login.microsoftonline.com/common
        assert isinstance(authority, str) and authority.strip().lower().startswith("https://")


@settings(max_examples=500, **FUZZ)
@given(authority_strings, st.sampled_from([msal.PublicClientApplication, msal.ConfidentialClientApplication]))
def test_application_constructors_refuse_bad_authorities_with_value_error(authority, cls):
    kwargs = {"client_credential": "secret"} if cls is msal.ConfidentialClientApplication else {}
    try:
        app = cls("client-id", authority=authority, **kwargs)
    except ValueError:
        return
    assert app.authority.url.startswith("https://")
