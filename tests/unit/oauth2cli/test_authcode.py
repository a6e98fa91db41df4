"""The loopback redirect listener's socket options, on a recording stand-in (the listener on
real sockets is tested in tests/test_loopback_listener.py)."""

import socket

import pytest

from msal.oauth2cli import authcode


class RecordingSocket(object):
    """Only records the options set on it."""

    def __init__(self):
        self.options = []

    def setsockopt(self, level, option, value):
        self.options.append((level, option, value))


@pytest.mark.parametrize("platform", ["win32", "linux", "darwin"])
def test_the_port_is_held_exclusively_on_each_platform(platform):
    sock = RecordingSocket()
    authcode.set_exclusive_bind(sock, platform=platform)
    if platform == "win32":  # SO_REUSEADDR there would let another process share the port
        assert sock.options == [(socket.SOL_SOCKET, ~4, 1)]  # Winsock's SO_EXCLUSIVEADDRUSE
    else:
        assert sock.options == [(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)]
