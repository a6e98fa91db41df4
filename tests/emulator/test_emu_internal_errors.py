"""A test during which the emulator failed internally fails, even if the client it drove
accepted the `server_error` answer (the check lives in the emulator's pytest plugin), whether
the emulator ran in the test's process or in one the test started."""

import pytest

from emu_helpers import raw_tls_exchange

pytest_plugins = ["pytester"]

INNER_TESTS = """
import pytest

from emu_helpers import raw_tls_exchange
import requests


def broken(*args, **kwargs):
    raise RuntimeError("a route broken on purpose")


def ask_token(emu):
    form = {"grant_type": "client_credentials", "client_id": "x", "scope": "x/.default"}
    return requests.post(emu.token_endpoint(), data=form, verify=emu.ca_path)


def test_accepts_server_error(emulator, monkeypatch):
    monkeypatch.setattr(emulator.directory, "app_by_client_id", broken)
    assert ask_token(emulator).json()["error"] == "server_error"


@pytest.mark.emulator_internal_errors
def test_opts_out(emulator, monkeypatch):
    monkeypatch.setattr(emulator.directory, "app_by_client_id", broken)
    assert ask_token(emulator).json()["error"] == "server_error"


def test_without_internal_error(emulator):
    assert ask_token(emulator).json()["error"] == "unauthorized_client"
"""


@pytest.mark.e2e  # the inner session starts an emulator in this process
@pytest.mark.emulator_internal_errors  # the inner session's emulator lives in this process
def test_an_internal_error_fails_the_test_unless_it_opts_out(pytester):
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_accepts_server_error*",
            "*the emulator failed internally 1 time(s) during this test (the client got server_error, or no answer)*",
            "*RuntimeError: a route broken on purpose*",
        ]
    )
    assert "test_opts_out" not in "\n".join(line for line in result.outlines if "ERROR" in line)


INNER_TESTS_WITH_A_CHILD = '''
import subprocess
import sys

import pytest

CHILD = """
import requests
from msal_emulator import Emulator

with Emulator() as emu:
    secret = emu.client_credential("confidential-secret")

    def broken(*args, **kwargs):
        raise RuntimeError("a route broken on purpose, quoting %s and eyJhbGciOi.eyJzdWIiOi.c2ln" % secret)

    emu.directory.app_by_client_id = broken
    form = {"grant_type": "client_credentials", "client_id": "x", "scope": "x/.default"}
    print(requests.post(emu.token_endpoint(), data=form, verify=emu.ca_path).json()["error"])
"""


def child_emulator_answers():
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


def test_accepts_server_error_of_a_child():
    assert child_emulator_answers() == "server_error"


@pytest.mark.emulator_internal_errors
def test_opts_out_of_a_child():
    assert child_emulator_answers() == "server_error"
'''


@pytest.mark.e2e  # the inner tests start emulators in processes of their own
def test_an_internal_error_in_another_process_fails_the_test_unless_it_opts_out(pytester):
    pytester.makepyfile(test_inner=INNER_TESTS_WITH_A_CHILD)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_accepts_server_error_of_a_child*",
            "*the emulator failed internally 1 time(s) during this test*",
            "(an emulator in process *)",
            "*RuntimeError: a route broken on purpose, quoting <secret> and <jwt>",
        ]
    )
    assert "test_opts_out_of_a_child" not in "\n".join(line for line in result.outlines if "ERROR" in line)
    assert "confidential-secret-value" not in result.stdout.str()


@pytest.mark.parametrize("length", [b"abc", b"-5"])
def test_a_request_with_a_bad_content_length_is_answered_400(emulator_clean, length):
    request = (
        b"POST /common/oauth2/v2.0/token HTTP/1.1\r\nHost: localhost\r\nContent-Length: %s\r\n"
        b"Connection: close\r\n\r\n" % length
    )
    data, _ = raw_tls_exchange(emulator_clean, request)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n"), data
    assert b"the Content-Length header is not a number of bytes" in data
