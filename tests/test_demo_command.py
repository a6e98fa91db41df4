"""``./dev demo``: its help needs no set-up, its set-up shows progress, and ``--log`` shows the
library's decisions without a secret."""

import os
import re
import subprocess
import sys

import pytest
from msal_emulator.config import DEFAULT_CONFIG

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
DEV = os.path.join(ROOT, "dev")
JWT = re.compile(r"eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="./dev is a bash script")


def run(args, **kwargs):
    return subprocess.run(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300, **kwargs
    )


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_demo_help_is_answered_before_any_set_up(flag, tmp_path):
    """PYTHON points at an interpreter that would fail any set-up: help must not need one."""
    env = dict(os.environ, PYTHON=sys.executable)
    done = run([DEV, "demo", "--by-hand", flag], env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ./dev demo")
    for text in ("--by-hand", "--log", "MSAL_AUTHORITY", "MSAL_CLIENT_SECRET", "first run"):
        assert text in done.stdout
    assert "Setting up" not in done.stderr


def test_demo_refuses_an_unknown_option_with_its_usage():
    done = run([sys.executable, os.path.join(ROOT, "examples", "demo.py"), "--verbose"])
    assert done.returncode == 2
    assert "usage: ./dev demo" in done.stderr and "--verbose" in done.stderr


def test_dev_help_lists_the_commands():
    done = run([DEV, "--help"])
    assert done.returncode == 0
    for command in ("./dev demo", "./dev test", "./dev setup", "./dev check"):
        assert command in done.stdout


def progress(*command):
    """dev's progress function, run on its own (stderr is not a terminal here)."""
    with open(DEV, encoding="utf-8") as f:
        source = f.read()
    function = re.search(r"^progress\(\) \{.*?^\}", source, re.S | re.M).group(0)
    script = function + '\nset -euo pipefail\nprogress "$@"'
    return run(["bash", "-c", script, "dev"] + list(command))


def test_setup_progress_says_what_it_does_and_when_it_is_done():
    done = progress("  [2/3] Installing things", "bash", "-c", "echo installed > /dev/null")
    assert done.returncode == 0
    assert re.fullmatch(r"  \[2/3\] Installing things\.*\.\.\. done in \d+ s\n", done.stderr)


def test_setup_progress_reports_a_failed_step_and_its_status():
    done = progress("  [2/3] Installing things", "bash", "-c", "exit 3")
    assert done.returncode == 3
    assert done.stderr.endswith("  [2/3] Installing things... failed\n")


@pytest.mark.e2e  # the demo runs its flows against an emulator of its own
def test_demo_log_shows_decisions_and_no_token():
    done = run([sys.executable, os.path.join(ROOT, "examples", "demo.py"), "--log"])
    assert done.returncode == 0, done.stderr[-2000:]
    log = [line for line in done.stderr.splitlines() if line.startswith("   log msal")]
    assert any("Cache miss: no unexpired access token for the app itself" in line for line in log)
    assert any("Cache hit: access token for the app itself" in line for line in log)
    assert any("Trying refresh token 1 of 1: this app's own, for account <pii>" in line for line in log)
    assert not [line for line in log if JWT.search(line)]
    secrets = list(secret_values(DEFAULT_CONFIG))
    assert secrets and not [line for line in log if any(s in line for s in secrets)]


def secret_values(node):
    """The client secrets and user passwords of the emulator's default directory."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("client_secret", "password") and isinstance(value, str):
                yield value
            else:
                yield from secret_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from secret_values(item)
