"""Every fault against every flow: a documented outcome, an unchanged cache, and recovery."""

import pytest

from fault_cases import FAULTS, FLOWS, run_cell


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_fault(emu, flow, fault):
    outcome, cache_unchanged, recovered = run_cell(emu, flow, fault)
    assert outcome == FAULTS[fault][1]
    assert cache_unchanged, "a failed request must leave the cache as it was"
    assert recovered, "the next good call must work"
