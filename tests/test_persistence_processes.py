"""PersistedTokenCache across real processes: concurrent writers lose nothing, and a writer killed
with SIGKILL mid-save never leaves a torn file. tests/stress/persistence_stress.py runs the
full-size versions and prints the figures."""

import sys

import pytest

from stress import persistence_stress as stress

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")


def test_four_processes_adding_fifty_tokens_each_lose_none(tmp_path):
    figures = stress.concurrent_writers(str(tmp_path), writers=4, tokens=50)
    assert figures["writer_exit_codes"] == [0, 0, 0, 0]
    assert figures["survived"] == figures["expected"] == 200
    assert figures["reader_reads"] > 0
    assert figures["reader_invalid"] == 0


def test_writer_killed_mid_save_leaves_previous_or_new_state(tmp_path):
    figures = stress.kill_trials(str(tmp_path), trials=20)
    assert figures["failures"] == []
    assert figures["valid"] == 20
