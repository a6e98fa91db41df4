"""Run one ecosystem scenario in this interpreter (the one whose msal is under test).

Line protocol, one JSON document per line: the parent sends ``{"scenario": name, "cfg":
{...}}``; the scenario asks for the user's part with ``{"ask": kind, "payload": {...}}`` and
reads ``{"answer": ...}``; the child ends with ``{"passed": true, "facts": {...}}`` or
``{"passed": false, "error": "..."}``. Asks may come from other threads (a browser the
library opened), so they are serialised.
"""

import json
import os
import sys
import threading
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# tests/, for the support package; last, so that nothing there shadows the libraries under test
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ecosystem_scenarios import SCENARIOS  # noqa: E402


class LineEnv:
    """What a scenario gets: its configuration and a way to ask the parent."""

    def __init__(self, cfg):
        self.cfg = cfg
        self._lock = threading.Lock()

    def ask(self, kind, **payload):
        with self._lock:
            print(json.dumps({"ask": kind, "payload": payload}), flush=True)
            answer = json.loads(sys.stdin.readline())["answer"]
        if isinstance(answer, dict) and "failed" in answer:
            raise RuntimeError("the user's part failed: " + answer["failed"])
        return answer


def main():
    request = json.loads(sys.stdin.readline())
    import msal

    try:
        facts = SCENARIOS[request["scenario"]](LineEnv(request["cfg"]))
        out = {"passed": True, "facts": facts or {}}
    except Exception as exc:  # reported, so the table can say why
        out = {
            "passed": False,
            "error": "%s: %s" % (type(exc).__name__, exc),
            "trace": traceback.format_exc()[-3000:],
        }
    out["msal"] = msal.__version__
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
