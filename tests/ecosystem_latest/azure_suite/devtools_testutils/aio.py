"""Offline stand-in: recorded async tests are skipped."""

import functools

import pytest


def recorded_by_proxy_async(test):
    @functools.wraps(test)
    async def skipped(*args, **kwargs):
        pytest.skip("needs the Azure SDK's recording proxy")

    return skipped
