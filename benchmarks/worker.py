"""Runs benchmark scenarios inside one implementation's virtual environment.

Usage: ``python worker.py '{"scenarios": [...], ...}'`` prints one JSON object. Run as a
script (not ``-m``), so that ``msal`` is the one installed in that environment.
"""

from __future__ import annotations

import json
import sys
import traceback


def main(argv: list) -> int:
    options = json.loads(argv[1])
    if options.get("make_states"):
        import states

        states.write(options["make_states"])
        print("{}")
        return 0
    import msal
    import scenarios

    run = scenarios.Run(options)
    results = {}
    for name in options["scenarios"]:
        try:
            results[name] = scenarios.SCENARIOS[name](run)
        except Exception:
            results[name] = {"error": traceback.format_exc(limit=3)}
    json.dump({"version": msal.__version__, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
