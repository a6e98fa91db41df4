"""Running an unmodified app in its own process, with the emulator's proxy and CA in its
environment; the settings the apps and the tests share."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
from typing import Dict, List, Optional, Tuple

from msal_emulator import Emulator

from support import original

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps")
NODE_APP = os.path.join(HERE, "node")
TIMEOUT = 60
ALICE = ("alice@contoso.example", "Alice-Passw0rd!")
# What a web-app sample needs registered: its redirect URI (here the Flask sample's).
WEB_APP_REDIRECT_URI = "http://localhost:5000/getAToken"
SAMPLE_CONFIG = {
    "apps": [
        {
            "name": "flask-sample",
            "client_id": "5b8a4f2e-9c1d-4e7b-a6f3-2d0c8e1b9a74",
            "client_secret": "flask-sample-secret-0001",
            "redirect_uris": [WEB_APP_REDIRECT_URI],
        }
    ]
}
# Variables of the machine that would send the apps elsewhere or trust another CA.
NETWORK_VARIABLES = (*original.NETWORK_VARIABLES, "NODE_EXTRA_CA_CERTS")
DEVICE_CODE_PROMPT = re.compile(r"(https://\S+) and enter the code (\w+)")


def app_environment(emu: Emulator, settings: Dict[str, str]) -> Dict[str, str]:
    """The original msal's environment (no network settings, no PYTHONPATH), plus the emulator's."""
    return original.environment(dict(emu.proxy_environment(), **settings), drop=NETWORK_VARIABLES)


class AppProcess:
    """A running app: its output lines as they come, and a line of input when it waits."""

    def __init__(self, command: List[str], env: Dict[str, str], cwd: str):
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self) -> str:
        line = self.lines.get(timeout=TIMEOUT)
        if line is None:
            self.process.wait(TIMEOUT)
            raise AssertionError("the app ended early: " + self.process.stderr.read())
        return line

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def result(self) -> Dict:
        """The app's last line, its JSON outcome; the app must have succeeded."""
        line = self.next_line()
        assert self.process.wait(TIMEOUT) == 0, line + self.process.stderr.read()
        return json.loads(line)

    def device_code_prompt(self) -> Tuple[str, str]:
        """The verification URI and user code of the device code prompt the app printed."""
        line = self.next_line()
        found = DEVICE_CODE_PROMPT.search(line)
        assert found, line
        return found.group(1), found.group(2)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()
