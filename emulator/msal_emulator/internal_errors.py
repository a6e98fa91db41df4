"""Internal errors of emulators in other processes, for the test session that started them.

The pytest plugin gives its session a directory in ``MSAL_EMULATOR_ERRORS_DIR``; processes the
tests start inherit it. An emulator that fails internally (a handler raised, the client got
``server_error`` or no answer) while that variable is set appends the traceback to a file of its
process there, one JSON line per error, and the plugin reads what appeared during each test.
The traceback is written without the JWTs and the directory's secrets it may quote: the file
outlives the request.
"""

from __future__ import annotations

import json
import os
import re
import threading
from typing import Dict, Iterable, List

ENVIRONMENT_VARIABLE = "MSAL_EMULATOR_ERRORS_DIR"
SUFFIX = ".errors.jsonl"
JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
_lock = threading.Lock()


def redacted(text: str, secrets: Iterable[str]) -> str:
    """``text`` without JWT-shaped strings and without ``secrets``."""
    text = JWT.sub("<jwt>", text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "<secret>")
    return text


def report(traceback_text: str, secrets: Iterable[str]) -> None:
    """Append an internal error to this process's file in the session's directory, if any.

    Never raises: reporting must not turn the emulator's answer into another failure.
    """
    directory = os.environ.get(ENVIRONMENT_VARIABLE)
    if not directory:
        return
    line = json.dumps({"pid": os.getpid(), "traceback": redacted(traceback_text, secrets)}) + "\n"
    try:
        with _lock, open(os.path.join(directory, "%d%s" % (os.getpid(), SUFFIX)), "a") as f:
            f.write(line)
    except OSError:
        pass


def other_processes_files(directory: str) -> Dict[str, int]:
    """The error files of other processes in ``directory`` and their sizes now."""
    own = "%d%s" % (os.getpid(), SUFFIX)
    sizes = {}
    try:
        names = os.listdir(directory)
    except OSError:
        return {}
    for name in names:
        if name.endswith(SUFFIX) and name != own:
            try:
                sizes[name] = os.path.getsize(os.path.join(directory, name))
            except OSError:
                pass
    return sizes


def reported_since(directory: str, sizes: Dict[str, int]) -> List[str]:
    """The tracebacks other processes wrote after ``sizes`` were taken."""
    found: List[str] = []
    for name, size in sorted(other_processes_files(directory).items()):
        start = sizes.get(name, 0)
        if size <= start:
            continue
        with open(os.path.join(directory, name), "rb") as f:
            f.seek(start)
            data = f.read(size - start)
        for line in data.decode("utf-8", "replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line still being written
                continue
            found.append("(an emulator in process %s)\n%s" % (entry["pid"], entry["traceback"]))
    return found
