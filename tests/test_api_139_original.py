"""The original msal 1.39.0 and this package side by side on the emulator, for the calls 1.39
added: the same requests (paths and form fields) and the same result keys.

Runs when MSAL_ORIGINAL_139_PYTHON names a Python with msal 1.39.0 installed (e.g. a venv
made with ``pip install msal==1.39.0``); skipped otherwise.
"""

import json

import pytest

from support import original

ORIGINAL = original.PYTHON_139
pytestmark = pytest.mark.skipif(not ORIGINAL, reason="MSAL_ORIGINAL_139_PYTHON is not set")

# Run by both libraries; returns the keys of each result (values differ by nature).
SCENARIO = r"""
import json, msal
GRAPH = "https://graph.microsoft.com/.default"
NBF = '{"access_token": {"nbf": {"essential": true}}}'
FORWARDED = '{"access_token": {"xms_foo": {"value": "bar"}}}'
def scenario(emu):
    common = dict(verify=emu["ca"], client_capabilities=["CP1"])
    app = msal.ConfidentialClientApplication(
        emu["client_id"], client_credential=emu["secret"], authority=emu["authority"],
        instance_discovery=False, **common)
    keys = []
    result = app.acquire_token_for_client([GRAPH], claims_challenge=NBF, fmi_path="Some/Path",
                                          forwarded_client_claims=FORWARDED)
    keys.append(sorted(result))
    assertion = app.acquire_token_for_client([GRAPH])["access_token"]
    keys.append(sorted(app.acquire_token_by_user_federated_identity_credential(
        ["User.Read"], assertion, username=emu["username"])))
    keys.append(sorted(app.acquire_token_by_user_federated_identity_credential(
        ["User.Read"], assertion, user_object_id=emu["oid"], forwarded_client_claims=FORWARDED)))
    public = msal.PublicClientApplication(
        emu["public_id"], authority=emu["authority"], instance_discovery=False, **common)
    flow = public.initiate_device_flow(["User.Read"], claims_challenge=NBF)
    keys.append(sorted(k for k in flow if not k.startswith("_") and k != "latest_attempt_at"))
    oidc = msal.ConfidentialClientApplication(
        emu["client_id"], client_credential=emu["secret"],
        oidc_authority=emu["authority"] + "/v2.0", verify=emu["ca"])
    keys.append(sorted(oidc.acquire_token_for_client([GRAPH])))
    return keys
"""


def _settings(emu):
    alice = emu.user("alice")
    return {
        "ca": emu.ca_path,
        "authority": emu.authority(),
        "client_id": emu.app("confidential-secret")["client_id"],
        "secret": emu.client_credential("confidential-secret"),
        "public_id": emu.app("public")["client_id"],
        "username": alice["username"],
        "oid": alice["oid"],
    }


def _run_original(settings):
    code = SCENARIO + "\nimport sys\nprint(json.dumps(scenario(json.loads(sys.argv[1]))))"
    return original.run_json(ORIGINAL, ["-c", code, json.dumps(settings)])


def _wire(emu):
    """Each request's method, path and form, with the per-run assertion masked."""

    def form(fields):
        masked = dict(fields)
        if "user_federated_identity_credential" in masked:
            masked["user_federated_identity_credential"] = "<assertion>"
        return sorted(masked.items())

    return [(r["method"], r["path"], form(r["form"])) for r in emu.requests]


def _is_discovery(request):
    return request[1].endswith("/.well-known/openid-configuration")


def _without_discovery(wire):
    return [r for r in wire if not _is_discovery(r)]


def _discoveries(wire):
    return sum(1 for r in wire if _is_discovery(r))


def test_same_requests_and_result_keys_as_the_original(emu):
    emu.refresh_in = 1800
    settings = _settings(emu)
    original_keys = _run_original(settings)
    original_wire = _wire(emu)

    emu.clear_requests()
    namespace = {}
    exec(SCENARIO, namespace)
    ours = namespace["scenario"](settings)

    assert ours == original_keys
    # Applications of one authority share its discovery here (docs/differences.md,
    # shared-discovery): the same requests apart from fewer OpenID configuration fetches.
    ours_wire = _wire(emu)
    assert _without_discovery(ours_wire) == _without_discovery(original_wire)
    assert 0 < _discoveries(ours_wire) <= _discoveries(original_wire)
    assert any(dict(f).get("grant_type") == "user_fic" for _, _, f in original_wire)
