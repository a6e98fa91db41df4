"""A test during which the emulator failed internally fails, even if the client it drove
accepted the `server_error` answer (the check lives in the emulator's pytest plugin)."""

import pytest

pytest_plugins = ["pytester"]

INNER_TESTS = '''
import pytest
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
'''


@pytest.mark.emulator_internal_errors  # the inner session's emulator lives in this process
def test_an_internal_error_fails_the_test_unless_it_opts_out(pytester):
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_accepts_server_error*",
            "*the emulator failed internally (answered server_error) 1 time(s) during this test*",
            "*RuntimeError: a route broken on purpose*",
        ]
    )
    assert "test_opts_out" not in "\n".join(line for line in result.outlines if "ERROR" in line)
