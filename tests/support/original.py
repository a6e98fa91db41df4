"""Running the original msal in its own interpreter, always in the same environment.

Every run starts from this process's environment without what would change the original's
network or imports (proxies, CA bundles, PYTHONPATH: the original lets REQUESTS_CA_BUNDLE
override ``verify=``, and a path holding this msal would shadow it), in a fresh directory
outside the repository (``-c`` and ``-m`` put the working directory first on the import path),
and ends by a timeout. What a caller needs more it passes as ``env``: the variables are then
set exactly as given, and ``packages`` makes modules of this process importable there (never
a directory that holds an ``msal`` package).
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
from typing import Any, Dict, Iterable, Optional, Sequence

# The interpreters ./dev test sets up: the original msal 1.22.0, and 1.39.0 with today's
# libraries built on it.
PYTHON = os.environ.get("MSAL_ORIGINAL_PYTHON")
PYTHON_139 = os.environ.get("MSAL_ORIGINAL_LATEST_PYTHON") or os.environ.get("MSAL_ORIGINAL_139_PYTHON")
TIMEOUT = 120
# Variables of this machine that would send the original elsewhere or trust another CA.
NETWORK_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
# Variables that would change what the original's interpreter imports.
IMPORT_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE")


def environment(env: Optional[Dict[str, str]] = None, drop: Iterable[str] = ()) -> Dict[str, str]:
    """This process's environment without the network and import variables (and ``drop``),
    then ``env``."""
    dropped = {name.upper() for name in (*NETWORK_VARIABLES, *IMPORT_VARIABLES, *drop)}
    clean = {k: v for k, v in os.environ.items() if k.upper() not in dropped}
    clean.update(env or {})
    for entry in clean.get("PYTHONPATH", "").split(os.pathsep):
        if entry and os.path.exists(os.path.join(entry, "msal")):
            raise ValueError("PYTHONPATH would shadow the original msal: " + entry)
    return clean


class Run:
    """One run of the original's interpreter: its directory, environment and command."""

    def __init__(
        self,
        python: str,
        args: Sequence[str],
        env: Optional[Dict[str, str]] = None,
        drop: Iterable[str] = (),
        packages: Sequence[Any] = (),
    ):
        self.directory = tempfile.mkdtemp(prefix="msal-original-")
        env = dict(env or {})
        if packages:
            env["PYTHONPATH"] = self._importable(packages)
        self.env = environment(env, drop)
        self.command = [python, *args]

    def _importable(self, packages: Sequence[Any]) -> str:
        """A directory holding links to these packages (modules), alone on the import path."""
        path = os.path.join(self.directory, "path")
        os.mkdir(path)
        for package in packages:
            source = os.path.dirname(os.path.abspath(package.__file__))
            os.symlink(source, os.path.join(path, package.__name__))
        return path

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def run(
    python: str,
    args: Sequence[str],
    input: Optional[str] = None,
    timeout: float = TIMEOUT,
    **options: Any,
) -> "subprocess.CompletedProcess[str]":
    """Run the original's interpreter to the end (``options``: env, drop, packages)."""
    setup = Run(python, args, **options)
    try:
        return subprocess.run(
            setup.command,
            input=input,
            capture_output=True,
            text=True,
            env=setup.env,
            cwd=setup.directory,
            timeout=timeout,
        )
    finally:
        setup.close()


def run_json(python: str, args: Sequence[str], input: Any = None, **options: Any) -> Any:
    """Run a script that reads ``input`` as JSON on stdin and prints its answer as JSON."""
    done = run(python, args, input=None if input is None else json.dumps(input), **options)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


class Conversation:
    """A run of the original's interpreter that speaks one JSON document per line on its
    standard input and output; killed when ``timeout`` passes."""

    def __init__(self, python: str, args: Sequence[str], timeout: float = TIMEOUT, **options: Any):
        self.setup = Run(python, args, **options)
        self.stderr = open(os.path.join(self.setup.directory, "stderr.txt"), "w+")
        self.process = subprocess.Popen(
            self.setup.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=self.setup.env,
            cwd=self.setup.directory,
        )
        self.killer = threading.Timer(timeout, self.process.kill)
        self.killer.start()

    def send(self, message: Any) -> None:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self) -> Any:
        """The next document; an AssertionError with the child's errors if it ended."""
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            raise AssertionError("the original's run ended early:\n" + self.errors())
        return json.loads(line)

    def errors(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-3000:]

    def close(self, wait: float = TIMEOUT) -> int:
        """Let the child end (it reads end of input), kill it if it does not; its exit code."""
        self.killer.cancel()
        try:
            self.process.stdin.close()
            self.process.wait(timeout=wait)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.stderr.close()
        self.setup.close()
        return self.process.returncode

    def __enter__(self) -> "Conversation":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close(wait=0 if exc_info[0] else TIMEOUT)
