"""What the fuzz suites (tests/test_fuzz_*.py) share: settings and JSON-like strategies."""

from hypothesis import HealthCheck, strategies as st

# Deterministic runs for CI: a fixed derandomised seed and no example database.
FUZZ = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


def json_like(allow_nan=True, max_leaves=12):
    """Scalars, and lists and objects of them, as a JSON document may hold."""
    scalars = (
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=allow_nan) | st.text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=max_leaves,
    )


class Answer(object):
    """An HTTP answer as an HttpClient returns it (status_code, text, headers)."""

    def __init__(self, status_code, text):
        self.status_code, self.text, self.headers = status_code, text, {}
