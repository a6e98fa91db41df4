"""Runs benchmark scenarios inside one implementation's virtual environment.

Usage: ``python worker.py '{"scenarios": [...], ...}'`` prints one JSON object. Run as a
script (not ``-m``), so that ``msal`` is the one installed in that environment.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import TYPE_CHECKING, Any, Dict, List

import msal

if TYPE_CHECKING:  # type-checked as modules of the benchmarks package
    from . import scenarios, states
else:  # run as a script: its folder comes first on the import path
    import scenarios
    import states


def main(argv: List[str]) -> int:
    options = json.loads(argv[1])
    if options.get("make_states"):
        states.write(options["make_states"])
        print("{}")
        return 0
    run = scenarios.Run(options)
    results: Dict[str, Dict[str, Any]] = {}
    for name in options["scenarios"]:
        try:
            results[name] = scenarios.SCENARIOS[name](run)
        except Exception:
            results[name] = {"error": traceback.format_exc(limit=3)}
    json.dump({"version": msal.__version__, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
