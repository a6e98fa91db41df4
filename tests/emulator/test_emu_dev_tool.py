"""The emulator as a developer's tool: its request log, its configuration (added to the built-in
directory, checked key by key), and the command line (banner, config printout, state, errors)."""

import json
import logging
import os
import re
import socket
import subprocess
import sys

import pytest
import requests

from msal_emulator import Emulator
from msal_emulator.config import ConfigError

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
ADDED_APP = {
    "name": "sample",
    "client_id": "5b8a4f2e-9c1d-4e7b-a6f3-2d0c8e1b9a74",
    "client_secret": "sample-secret-0001",
    "redirect_uris": ["http://localhost:5000/cb"],
}


def wrong_secret_token_request(http, emu):
    app = emu.app("confidential-secret")
    return http.token(
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": "not-" + app["client_secret"],
            "scope": GRAPH_DEFAULT,
        }
    )


# ---- the request log --------------------------------------------------------------------


def test_one_line_per_request(emulator_requests, http, caplog):
    emu = emulator_requests
    with caplog.at_level(logging.INFO, logger="msal_emulator.requests"):
        wrong_secret_token_request(http, emu)
    [line] = [r.getMessage() for r in caplog.records if r.name == "msal_emulator.requests"]
    assert re.fullmatch(
        r"POST localhost:%d /%s/oauth2/v2\.0/token client_credentials client_id=%s -> "
        r"401 AADSTS7000215 \([\d.]+ ms\)"
        % (emu.port, emu.tenant_id, emu.app("confidential-secret")["client_id"]),
        line,
    )


def test_verbose_log_shows_fields_with_secrets_masked(emulator_requests, http, caplog):
    emu = emulator_requests
    secret = emu.app("confidential-secret")["client_secret"]
    with caplog.at_level(logging.DEBUG, logger="msal_emulator.requests"):
        wrong_secret_token_request(http, emu)
        good = http.token(
            {
                "grant_type": "client_credentials",
                "client_secret": secret,
                "client_id": emu.app("confidential-secret")["client_id"],
                "scope": GRAPH_DEFAULT,
            }
        ).json()
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "msal_emulator.requests")
    assert '"client_secret": "***"' in text and '"access_token": "***"' in text
    assert '"scope": "%s"' % GRAPH_DEFAULT in text
    assert secret not in text and good["access_token"] not in text and "eyJ" not in text


def test_requests_as_json(emulator_requests, http):
    emu = emulator_requests
    wrong_secret_token_request(http, emu)
    http.get(emu.authority() + "/v2.0/.well-known/openid-configuration")
    listed = http.get(emu.base_url + "/_emulator/requests").json()["requests"]
    post, get = listed  # the control API's own requests are not listed
    assert (post["method"], post["grant_type"], post["status"], post["error"], post["error_code"]) == (
        "POST",
        "client_credentials",
        401,
        "invalid_client",
        "AADSTS7000215",
    )
    assert post["client_id"] == emu.app("confidential-secret")["client_id"]
    assert post["form"]["client_secret"] == "***" and post["latency_ms"] >= 0
    assert get["status"] == 200 and get["error_code"] is None
    assert "confidential-secret-value" not in json.dumps(listed)


# ---- configuration ------------------------------------------------------------------------


def test_a_config_adds_to_the_built_in_directory():
    replaced = {
        "client_id": "e3c60c9f-794d-4e9b-87c0-dbcb64df6fbd",
        "name": "public",
        "redirect_uris": ["http://localhost:3000"],
        "is_fallback_public_client": True,
    }
    with Emulator(
        {
            "apps": [ADDED_APP, replaced],
            "users": [{"username": "zoe@contoso.onmicrosoft.com", "password": "Zoe-1"}],
        }
    ) as emu:
        assert emu.app("sample")["kind"] == "confidential"  # it has a secret
        assert emu.app("public")["redirect_uris"] == ["http://localhost:3000"]
        assert emu.app("confidential-cert")["certificate_thumbprint"]  # built-in ones stay
        assert emu.user("zoe")["tenant"] == emu.tenant_id  # by the domain of the user name
        assert len(emu.directory.apps) == len(Emulator().directory.apps) + 1


def test_a_config_can_start_empty():
    config = {
        "builtin": False,
        "tenants": [{"id": "11111111-2222-3333-4444-555555555555", "domain": "fabrikam.example"}],
        "apps": [ADDED_APP],
    }
    with Emulator(config) as emu:
        assert [a["name"] for a in emu.directory.apps] == ["sample"]
        assert emu.tenant_id == "11111111-2222-3333-4444-555555555555"
        assert emu.app("sample")["tenant"] == emu.tenant_id and not emu.directory.users


@pytest.mark.unit  # only the configuration is read: nothing starts
@pytest.mark.parametrize(
    "config, message",
    [
        ({"app": []}, "config: unknown key 'app' (did you mean 'apps'?)"),
        (
            {"apps": [{"client_id": "x", "redirect_uri": ["http://localhost"]}]},
            "apps[0]: unknown key 'redirect_uri' (did you mean 'redirect_uris'?)",
        ),
        ({"apps": [{"name": "no id"}]}, "apps[0]: missing required key 'client_id'"),
        (
            {"apps": [{"client_id": "x", "redirect_uris": "http://localhost"}]},
            "apps[0].redirect_uris must be a list",
        ),
        ({"apps": [{"client_id": "x", "kind": "daemon"}]}, "apps[0].kind must be"),
        (
            {"apps": [{"client_id": "x", "certificates": ["missing.pem"]}]},
            "apps[0].certificates: cannot read missing.pem",
        ),
        ({"users": [{"username": "alice", "password": "p"}]}, "users[0].username must be"),
        ({"tenants": [{"id": "t"}]}, "tenants[0]: missing required key 'domain'"),
        (
            {"tenants": [{"id": "t", "domain": "d", "policies": [{"flow": "B2C_1_x"}]}]},
            "tenants[0].policies[0] must be an object with a 'name'",
        ),
        ({"device_code": {"interval": "5"}}, "device_code.interval must be a number"),
        ({"builtin": False}, "at least one tenant is required"),
    ],
)
def test_bad_configs_name_the_bad_key(config, message):
    with pytest.raises(ConfigError) as caught:
        Emulator(config)
    assert message in str(caught.value)


@pytest.mark.unit  # only the configuration is read: nothing starts
def test_a_config_file_that_is_not_json(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"apps": [\n  {"client_id": "x",}\n]}')
    with pytest.raises(ConfigError, match=r"config.json is not valid JSON: .*line 2"):
        Emulator(str(path))


# ---- the command line -----------------------------------------------------------------------


def run_command(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "msal_emulator"] + list(args), capture_output=True, text=True, timeout=timeout
    )


def test_command_reports_a_bad_config_without_a_traceback(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"apps": [{"client_id": "x", "redirect_uri": []}]}))
    done = run_command("--config", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "msal-emulator: error: bad configuration: apps[0]: unknown "
        "key 'redirect_uri' (did you mean 'redirect_uris'?)"
    )


@pytest.mark.parametrize(
    "option, name", [("--port", "HTTPS (--port)"), ("--proxy-port", "proxy (--proxy-port)")]
)
def test_command_reports_a_port_in_use(option, name):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_command(option, str(port))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error: the %s port %d is already in use" % (name, port) in done.stderr


def test_print_config_and_a_state_dir_kept_across_runs(tmp_path):
    state = str(tmp_path / "state")
    first = json.loads(run_command("--print-config", "--state-dir", state).stdout)
    second = json.loads(run_command("--print-config", "--state-dir", state).stdout)
    cert_app = next(a for a in first["apps"] if a["name"] == "confidential-cert")
    assert cert_app == next(a for a in second["apps"] if a["name"] == "confidential-cert")
    assert os.path.dirname(cert_app["certificate_path"]) == state == first["state_dir"]
    with open(cert_app["certificate_path"]) as f:
        assert "PRIVATE KEY" in f.read()
    with open(first["ca_path"]) as f:
        assert f.read() == open(os.path.join(state, "ca.pem")).read()
    secret_app = next(a for a in first["apps"] if a["name"] == "confidential-secret")
    assert secret_app["client_secret"] == "confidential-secret-value-0001"
    assert {"username": "alice@contoso.example", "password": "Alice-Passw0rd!"}.items() <= next(
        u for u in first["users"] if u["name"] == "Alice Smith"
    ).items()
    assert first["authority"] == "https://login.microsoftonline.com/" + first["default_tenant"]


def test_state_dir_keeps_the_ca_for_the_python_api(tmp_path):
    with Emulator(state_dir=str(tmp_path)) as one:
        ca, thumbprint = open(one.ca_path).read(), one.app("confidential-cert")["certificate_thumbprint"]
    one.close()
    with Emulator(state_dir=str(tmp_path)) as two:
        assert open(two.ca_path).read() == ca
        assert two.app("confidential-cert")["certificate_thumbprint"] == thumbprint
        resp = requests.get(
            two.authority() + "/v2.0/.well-known/openid-configuration",
            verify=str(tmp_path / "ca.pem"),
            timeout=10,
        )
        assert resp.status_code == 200
    two.close()
    assert os.path.exists(tmp_path / "ca.pem")  # close() leaves a state dir alone
