"""Print the fault matrix (fault × flow) with the outcome of each cell.

.venv/bin/python tests/fault_matrix.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fault_cases import FAULTS, FLOWS, run_cell  # noqa: E402
from msal_emulator import Emulator  # noqa: E402


def main():
    flows = sorted(FLOWS)
    with Emulator() as emu:
        print("| fault | " + " | ".join(flows) + " |")
        print("|---|" + "---|" * len(flows))
        for fault in sorted(FAULTS):
            cells = []
            for flow in flows:
                outcome, unchanged, recovered = run_cell(emu, flow, fault)
                ok = outcome == FAULTS[fault][1] and unchanged and recovered
                cells.append(
                    "{}{}{}".format(
                        outcome, "" if unchanged else ", CACHE CHANGED", "" if recovered else ", NO RECOVERY"
                    )
                    + ("" if ok else " ✗")
                )
            print("| {} | {} |".format(fault, " | ".join(cells)))


if __name__ == "__main__":
    main()
