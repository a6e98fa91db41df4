"""The runner of the original msal (tests/support/original.py): the one environment every
side-by-side test runs the original in."""

import os
import sys

import pytest

import msal
import msal_emulator

from support import original

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = (
    "import json, os, sys\n"
    "import msal_emulator\n"
    "path = os.listdir(os.environ['PYTHONPATH'])\n"
    "print(json.dumps(dict(cwd=os.getcwd(), environ=dict(os.environ), path=path, emulator=msal_emulator.__file__)))\n"
)


def test_the_environment_has_no_proxies_ca_bundles_or_import_path(monkeypatch):
    for name in (
        "HTTPS_PROXY",
        "http_proxy",
        "NO_PROXY",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "PYTHONPATH",
    ):
        monkeypatch.setenv(name, "set-by-the-machine")
    monkeypatch.setenv("MSAL_TEST_KEPT", "kept")
    env = original.environment({"REQUESTS_CA_BUNDLE": "ca.pem"}, drop=("MSAL_TEST_DROPPED",))
    assert env["MSAL_TEST_KEPT"] == "kept" and env["REQUESTS_CA_BUNDLE"] == "ca.pem"
    assert not {"HTTPS_PROXY", "http_proxy", "NO_PROXY", "CURL_CA_BUNDLE", "PYTHONPATH"} & set(env)


def test_a_path_holding_this_msal_is_refused():
    site = os.path.dirname(os.path.dirname(os.path.abspath(msal.__file__)))
    with pytest.raises(ValueError, match="shadow the original msal"):
        original.environment({"PYTHONPATH": site})


def test_a_run_is_outside_the_repository_with_only_the_packages_it_asks_for(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    seen = original.run_json(sys.executable, ["-c", PROBE], packages=[msal_emulator])
    assert not os.path.abspath(seen["cwd"]).startswith(REPOSITORY + os.sep)
    assert "HTTPS_PROXY" not in seen["environ"]
    assert seen["path"] == ["msal_emulator"]
    assert seen["emulator"].startswith(seen["environ"]["PYTHONPATH"] + os.sep)
    assert not os.path.exists(seen["cwd"])  # The run's directory is gone with it


@pytest.mark.skipif(not original.PYTHON, reason="MSAL_ORIGINAL_PYTHON is not set (./dev test sets it up)")
def test_the_original_imports_the_original():
    code = "import json, msal; print(json.dumps([msal.__file__, msal.__version__]))"
    where, version = original.run_json(original.PYTHON, ["-c", code])
    assert version == "1.22.0"
    assert not os.path.realpath(where).startswith(os.path.realpath(os.path.dirname(msal.__file__)))


def test_a_conversation_that_hangs_is_ended_by_its_timeout():
    with original.Conversation(sys.executable, ["-c", "import time; time.sleep(600)"], timeout=1) as child:
        with pytest.raises(AssertionError, match="ended early"):
            child.receive()


def test_a_conversation_exchanges_json_lines():
    echo = "import json, sys\nfor line in sys.stdin:\n    print(json.dumps({'echo': json.loads(line)}), flush=True)\n"
    with original.Conversation(sys.executable, ["-c", echo]) as child:
        child.send({"n": 1})
        assert child.receive() == {"echo": {"n": 1}}
        assert child.close() == 0
