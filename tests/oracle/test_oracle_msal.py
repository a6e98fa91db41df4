"""The original msal 1.22.0 as a differential oracle.

Every scenario in ``oracle_scenarios`` runs twice against the same emulator: under the
original (in its own interpreter, ``MSAL_ORIGINAL_PYTHON``) and under this package. The
requests each sent and the results each returned, with random values replaced by labels,
must be equal, except where ``DIFFERENCES`` says otherwise. That table is also the one in
docs/differences.md, and each entry must still be observed, so neither goes stale.
"""

import dataclasses
import os
import re

import pytest

from oracle_driver import (
    ORIGINAL_139_PYTHON,
    ORIGINAL_PYTHON,
    Difference,
    differences,
    normalise,
    run_original,
    run_ours,
    unexplained,
)
from oracle_scenarios import SCENARIOS

DOC = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "docs", "differences.md")

DIFFERENCES = [
    Difference(
        "token-source",
        ("*",),
        ("result.*token_source",),
        "Results carry a `token_source` key (`identity_provider` or `cache`), as later msal "
        "versions do, so callers can tell a cache hit from a network call.",
    ),
    Difference(
        "client-credentials-cache",
        ("client_credentials_twice",),
        ("requests.start[]", "result.second.*", "result.cache.AccessToken.*.secret.label"),
        "`acquire_token_for_client` looks in the cache first (decision D1; the original does "
        "so from 1.23 on), so a second call returns the cached token without a request. A "
        "cache hit has no `ext_expires_in`.",
    ),
    Difference(
        "x5c-line-breaks",
        ("client_certificate_x5c",),
        ("requests.start[1].form.client_assertion.header.x5c[0]",),
        "The `x5c` header holds plain base64 DER (RFC 7515 §4.1.6); the original keeps the "
        "PEM line breaks, which strict verifiers reject.",
    ),
    Difference(
        "authorization-url-extra-parameters",
        ("authorization_request_url_extra_parameters",),
        ("result.url.query.*",),
        "`get_authorization_request_url(**kwargs)` adds the extra keyword arguments to the URL "
        "as query parameters, as documented here; the original drops them.",
    ),
    Difference(
        "device-flow-bookkeeping",
        ("device_flow",),
        ("result.flow._scope", "result.flow.latest_attempt_at"),
        "The device flow dict keeps its decorated scopes under `_scope` (so the cache files "
        "the tokens even if the answer names no scope) and has no `latest_attempt_at`; both "
        "are private bookkeeping, and each library accepts its own flow dicts.",
    ),
    Difference(
        "obo-cache",
        ("on_behalf_of", "on_behalf_of_twice"),
        (
            "requests.start[]",
            "result.second.*",
            "result.cache.*.user_assertion_hash",
            "result.cache.*.secret.label",
            "result.cache.RefreshToken.*.secret",
        ),
        "`acquire_token_on_behalf_of` looks in the cache first, keyed by the hash of the "
        "incoming token (as MSAL.NET and MSAL Node do): a second call returns the cached token "
        "without a request. The OBO access and refresh tokens carry that hash as "
        "`user_assertion_hash`, the field MSAL.NET writes.",
    ),
    Difference(
        "shared-discovery",
        ("refresh_token",),
        ("requests.start[]",),
        "Applications of one authority share its discovery in a process (a memo of endpoints "
        "and host aliases, bounded and expiring), so a second application of the same "
        "authority asks for the OpenID configuration no more; the original asks once per "
        "application.",
    ),
]

# Where the original 1.39.0 differs from this package: each reason says why the 1.22.0
# reference's behaviour (or this package's own, as in DIFFERENCES) stays. The table in the
# "Compared with the original 1.39.0 (oracle)" section of docs/differences.md is this one.
SAME_AGAINST_139 = ("x5c-line-breaks", "authorization-url-extra-parameters", "device-flow-bookkeeping")


def _as_against_139(key, reason):
    """A DIFFERENCES entry that holds against 1.39.0 too, for a reason of its own there."""
    [entry] = [d for d in DIFFERENCES if d.key == key]
    return dataclasses.replace(entry, key=key + "-139", reason="As against 1.22.0 (`%s`): %s" % (key, reason))


DIFFERENCES_139 = [d for d in DIFFERENCES if d.key in SAME_AGAINST_139] + [
    _as_against_139(
        "obo-cache",
        "1.39.0 does not look in the cache for `acquire_token_on_behalf_of` either, and writes no "
        "`user_assertion_hash`.",
    ),
    _as_against_139("shared-discovery", "1.39.0 too asks for the OpenID configuration once per application."),
    Difference(
        "silent-without-account",
        ("silent_without_account",),
        ("result.silent",),
        "`acquire_token_silent(scopes, None)` returns this client's own tokens from the cache, as "
        "the 1.22.0 reference documents and does; 1.39.0 returns `None`.",
    ),
    Difference(
        "x-client-cpu",
        ("*",),
        ("requests.*.headers.x-client-cpu",),
        "Token requests carry the `x-client-cpu` header, as 1.22.0 sends them; 1.39.0 no longer sends it.",
    ),
    Difference(
        "telemetry-cache-info",
        ("*",),
        ("requests.*.headers.x-client-current-telemetry",),
        "The cache-status field of `x-client-current-telemetry` is `0` for client credentials and "
        "claims challenges, as 1.22.0 sends it; 1.39.0 reports why the cache was not used (`1`: "
        "a claims challenge, `2`: no token cached).",
    ),
    Difference(
        "account-source",
        ("*",),
        ("result.*account_source",),
        "Accounts (in the cache and from `get_accounts()`) keep the `account_source` field "
        "(the grant that signed the user in) that 1.22.0 writes; 1.39.0 writes none.",
    ),
    Difference(
        "scope-order-in-cache",
        ("*",),
        ("result.cache.*.target_as_written",),
        "Access and refresh tokens are filed with their scopes in the order the answer gave "
        "them (`target` and the key), as 1.22.0 does; 1.39.0 sorts them. (The comparison "
        "files both sides' entries by sorted scopes, so the rest of each entry is still compared.)",
    ),
]

needs_original = pytest.mark.skipif(
    not ORIGINAL_PYTHON, reason="MSAL_ORIGINAL_PYTHON is not set (./dev test sets it up)"
)


@pytest.fixture
def oracle_emu(emu):
    """The emulator, answering device code polls without making the client wait long."""
    emu.device_code_interval = 1
    return emu


@needs_original
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_requests_and_results_as_the_original(oracle_emu, scenario):
    original = normalise(run_original(oracle_emu, scenario))
    ours = normalise(run_ours(oracle_emu, scenario))
    assert original["requests"]["start"] or scenario.startswith("authorization_request_url"), (
        "the scenario made no request at all"
    )
    loose, unused = unexplained(scenario, differences(original, ours), DIFFERENCES)
    assert loose == [], "differences from the original msal not listed in DIFFERENCES"
    assert unused == [], "DIFFERENCES entries no longer observed in this scenario"


needs_original_139 = pytest.mark.skipif(
    not ORIGINAL_139_PYTHON,
    reason="neither MSAL_ORIGINAL_139_PYTHON nor MSAL_ORIGINAL_LATEST_PYTHON is set (./dev test sets them up)",
)


@needs_original_139
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_requests_and_results_as_the_original_139(oracle_emu, scenario):
    original = normalise(run_original(oracle_emu, scenario, python=ORIGINAL_139_PYTHON), sort_targets=True)
    ours = normalise(run_ours(oracle_emu, scenario), sort_targets=True)
    loose, unused = unexplained(scenario, differences(original, ours), DIFFERENCES_139)
    assert loose == [], "differences from the original msal 1.39.0 not listed in DIFFERENCES_139"
    assert unused == [], "DIFFERENCES_139 entries no longer observed in this scenario"


SECTION_139 = "Compared with the original 1.39.0 (oracle)"


def documented_differences(section=None):
    """The rows of the first table in docs/differences.md, or of the table in the section of
    that title: {key: reason}."""
    with open(DOC, encoding="utf-8") as doc:
        parts = doc.read().split("\n## ")  # Later sections list untested behaviours
    [text] = [parts[0]] if section is None else [p for p in parts if p.startswith(section + "\n")]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {
        m.group(1): m.group(2).strip()
        for m in (re.match(r"\| `([^`]+)` \| (.*) \|\s*$", row) for row in rows)
        if m
    }


def test_the_documented_differences_are_the_tested_ones():
    assert documented_differences() == {d.key: d.reason for d in DIFFERENCES}


def test_the_documented_differences_from_139_are_the_tested_ones():
    """The 1.39 section lists the entries of its own; those shared with 1.22 are in the first table."""
    own = {d.key: d.reason for d in DIFFERENCES_139 if d not in DIFFERENCES}
    assert documented_differences(SECTION_139) == own
    assert all(key in documented_differences() for key in SAME_AGAINST_139)


def test_the_normaliser_tells_different_runs_apart():
    """A check of the checker: a changed form value or an extra request is a difference."""
    run = {
        "requests": {
            "start": [
                {
                    "method": "POST",
                    "path": "/t/oauth2/v2.0/token",
                    "form": {"grant_type": "client_credentials", "state": "a"},
                }
            ]
        },
        "result": {"access_token": "x", "expires_in": 3599},
    }
    changed = {
        "requests": {
            "start": [
                {
                    "method": "POST",
                    "path": "/t/oauth2/v2.0/token",
                    "form": {"grant_type": "password", "state": "b"},
                }
            ]
        },
        "result": {"access_token": "y", "expires_in": 3600},
    }
    found = differences(normalise(run), normalise(changed))
    assert [path for path, _, _ in found] == ["requests.start[0].form.grant_type"]
    extra = dict(run, requests={"start": run["requests"]["start"] * 2})
    assert [p for p, _, _ in differences(normalise(run), normalise(extra))] == ["requests.start[]"]
