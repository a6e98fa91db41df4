"""The cache hit path through an application, against the emulator: what it does not do."""

import logging
import sys

from support.apps import GRAPH_DEFAULT


def test_a_cache_hit_through_the_application_does_no_extra_work(make_app):
    """The hit path neither makes ids or randomness, nor builds JSON, nor log records while the
    ``msal`` log is off (it is on, at DEBUG, only when the application's owner turns it on)."""
    app = make_app("confidential-secret")
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert first["token_source"] == "identity_provider"
    called = set()
    msal_logger = logging.getLogger("msal")
    level = msal_logger.level
    msal_logger.setLevel(logging.WARNING)

    def profile(frame, event, arg):
        if event == "call":
            called.add(frame.f_code.co_name)
        elif event == "c_call":
            called.add(getattr(arg, "__name__", ""))

    sys.setprofile(profile)
    try:
        hit = app.acquire_token_for_client([GRAPH_DEFAULT])
    finally:
        sys.setprofile(None)
        msal_logger.setLevel(level)
    assert hit["token_source"] == "cache" and hit["access_token"] == first["access_token"]
    assert "_stored_access_token" in called  # The profile did see the lookup (read in place)
    assert not called & {
        "uuid4",
        "urandom",
        "token_bytes",
        "dumps",
        "loads",
        "deepcopy",
        "getLogger",
        "debug",
        "info",
        "_log",
        "urlparse",
        "urlsplit",
    }
