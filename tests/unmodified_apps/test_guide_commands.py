"""The commands of the guide "Run an existing app against the emulator", run as written.

The guide's shell blocks run in order in a scratch directory (its port 8080 replaced by a free
one): the emulator in the background, then the config printout, the app with the exported
variables, and the request log query. The guide's JSON block is the config file it names, and
its Python block the `daemon.py` it runs, filled in from the printed config.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from app_process import NETWORK_VARIABLES, TIMEOUT

GUIDE = os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, "docs", "guides", "existing-app-on-emulator.md"
)
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
GUIDE_PORT = "8080"


def guide_blocks():
    with open(GUIDE, encoding="utf-8") as f:
        found = BLOCK.findall(f.read())
    return {kind: [code for k, code in found if k == kind] for kind in ("bash", "json", "python")}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def shell_environment():
    """The machine's environment without network settings, with this venv's commands first."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in NETWORK_VARIABLES}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def run(code, cwd, port):
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code.replace(GUIDE_PORT, port)],
        cwd=cwd,
        env=shell_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def fill_in(code, directory):
    """The guide's app with the placeholders of the built-in daemon app."""
    app = next(a for a in directory["apps"] if a["name"] == "confidential-secret")
    return (
        code.replace("<client-id>", app["client_id"])
        .replace("<client-secret>", app["client_secret"])
        .replace("<tenant-id>", directory["default_tenant"])
    )


@pytest.mark.skipif(
    not (shutil.which("bash") and shutil.which("curl") and shutil.which("jq")),
    reason="the guide's commands need bash, curl and jq",
)
def test_the_guide_commands_run_as_written(tmp_path):
    blocks = guide_blocks()
    start, print_config, run_app, query_log = blocks["bash"]
    (tmp_path / "sample-app.json").write_text(blocks["json"][0])
    port = free_port()
    emulator = subprocess.Popen(
        ["bash", "-c", "exec " + start.replace(GUIDE_PORT, port)],
        cwd=tmp_path,
        env=shell_environment(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        banner = ""
        while "Ctrl-C" not in banner:
            line = emulator.stdout.readline()
            assert line, emulator.stderr.read()
            banner += line
        assert "HTTPS proxy: http://127.0.0.1:%s" % port in banner
        assert run(print_config, tmp_path, port) == "5b8a4f2e-9c1d-4e7b-a6f3-2d0c8e1b9a74"
        directory = json.loads(run(print_config.split("| jq", 1)[0], tmp_path, port))
        (tmp_path / "daemon.py").write_text(fill_in(blocks["python"][0], directory))
        assert run(run_app, tmp_path, port) == "Token type: Bearer"
        assert run(query_log, tmp_path, port) == "200"
    finally:
        emulator.send_signal(signal.SIGINT)
        console, _ = emulator.communicate(timeout=TIMEOUT)
    assert re.search(
        r"POST login\.microsoftonline\.com /[\w-]+/oauth2/v2\.0/token "
        r"client_credentials client_id=[\w-]+ -> 200",
        console,
    ), console
    assert re.search(r"\nmsal-emulator stopped \(\d+ requests served\)$", console.rstrip())
