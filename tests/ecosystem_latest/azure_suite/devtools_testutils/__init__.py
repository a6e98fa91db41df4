"""Offline stand-in for the Azure SDK's test utilities (not on PyPI), so that azure-identity's
own unit tests run without its recording proxy: tests that need recordings are skipped."""

import functools

import pytest


def is_live():
    return False


@pytest.fixture(scope="session")
def test_proxy():
    yield


def _no_op(*args, **kwargs):
    return None


add_general_regex_sanitizer = add_body_key_sanitizer = add_header_regex_sanitizer = _no_op
add_remove_header_sanitizer = set_custom_default_matcher = add_oauth_response_sanitizer = _no_op


class AzureRecordedTestCase:
    """Recorded live tests: never run offline."""

    @staticmethod
    def await_prepared_test(test):
        @functools.wraps(test)
        def skipped(*args, **kwargs):
            pytest.skip("needs the Azure SDK's recording proxy")

        return skipped


def recorded_by_proxy(test):
    @functools.wraps(test)
    def skipped(*args, **kwargs):
        pytest.skip("needs the Azure SDK's recording proxy")

    return skipped


class _Variables:
    """The live tests' variables: only those set in the environment."""

    def get(self, name, default=None):
        import os

        return os.environ.get(name, default)

    def sanitize_batch(self, mapping):
        return None


@pytest.fixture(scope="session")
def environment_variables():
    return _Variables()
