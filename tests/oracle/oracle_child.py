"""Run one oracle scenario under the original msal's interpreter.

Line protocol on stdin/stdout, one JSON document per line: the parent sends
``{"scenario": name, "cfg": {...}}``; the child writes ``{"ask": kind, "payload": {...}}``
whenever the scenario needs the user's part and reads the answer as the next line; it ends
with ``{"result": {...}}`` (or ``{"raised": "..."}``).
"""

import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import msal  # noqa: E402  (the original, from this interpreter's site-packages)
from oracle_scenarios import SCENARIOS  # noqa: E402


class LineEnv:
    def __init__(self, cfg):
        self.cfg = cfg

    def ask(self, kind, **payload):
        print(json.dumps({"ask": kind, "payload": payload}), flush=True)
        return json.loads(sys.stdin.readline())["answer"]

    def mark(self, label):
        self.ask("mark", label=label)


def main():
    request = json.loads(sys.stdin.readline())
    try:
        result = SCENARIOS[request["scenario"]](msal, LineEnv(request["cfg"]))
        out = {"result": result, "version": msal.__version__, "module": msal.__file__}
    except Exception as exc:  # reported, so the parent can compare raising with raising
        out = {"raised": "%s: %s" % (type(exc).__name__, exc), "trace": traceback.format_exc()}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
