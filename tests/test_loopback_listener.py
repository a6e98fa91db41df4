"""The loopback redirect listener on real sockets: stray and idle connections, request bounds,
exclusive port binding, and the two loopback addresses ``localhost`` may name (the socket options
it sets are unit-tested in tests/unit/oauth2cli/test_authcode.py)."""

import contextlib
import socket
import threading

import pytest
import requests

from msal.oauth2cli.authcode import LoopbackListener

STATE = "expected-state"


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback here")


@contextlib.contextmanager
def waiting(listener, timeout=30):
    """Run wait_for_response in another thread; yields the dict that gets its outcome."""
    got = {}
    waiter = threading.Thread(
        target=lambda: got.update(result=listener.wait_for_response(STATE, timeout=timeout))
    )
    waiter.start()
    try:
        yield got
    finally:
        waiter.join(60)
        got["finished"] = not waiter.is_alive()


@contextlib.contextmanager
def idle_connections(port, count=1, host="127.0.0.1"):
    """Connections that say nothing, like a browser's speculative preconnects."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(socket.create_connection((host, port), timeout=10)) for _ in range(count)]


def raw_exchange(port, request):
    """Send raw bytes, keep the connection open for writing, and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return answer.decode("latin-1")
            answer += chunk


def status_of(answer):
    return answer.split(" ", 2)[1] if answer.startswith("HTTP/1.") else answer[:100]


def deliver(port, host="127.0.0.1", **params):
    url = "http://{}:{}/".format("[::1]" if host == "::1" else host, port)
    return requests.get(url, params=dict({"state": STATE, "code": "the-code"}, **params), timeout=10)


def test_an_idle_connection_does_not_hold_up_the_redirect():
    with LoopbackListener() as listener, waiting(listener) as got:
        with idle_connections(listener.port):
            page = deliver(listener.port)
    assert page.status_code == 200 and "Signed in" in page.text
    assert got["finished"] and got["result"] == {"state": STATE, "code": "the-code"}


def test_a_half_sent_request_does_not_hold_up_the_redirect():
    with LoopbackListener() as listener, waiting(listener) as got:
        with idle_connections(listener.port) as [partial]:
            partial.sendall(b"GET /?state=" + STATE.encode() + b"&code=half HTTP/1.1\r\nHost: x")
            page = deliver(listener.port)
    assert page.status_code == 200
    assert got["result"]["code"] == "the-code"


def test_the_timeout_is_honoured_while_connections_stay_idle():
    with LoopbackListener() as listener, idle_connections(listener.port, count=3):
        with waiting(listener, timeout=1) as got:
            pass
        assert got["finished"], "wait_for_response went past its deadline"
    assert got["result"] is None


def test_more_idle_connections_than_the_cap_do_not_lock_the_listener_out():
    """The listener keeps 32 connections open at most, dropping the oldest."""
    with LoopbackListener() as listener, waiting(listener) as got:
        with idle_connections(listener.port, count=40):
            page = deliver(listener.port)
    assert page.status_code == 200 and got["result"]["code"] == "the-code"


def form_post(length, body=b"", extra=b""):
    return (
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded"
        b"\r\nContent-Length: " + length + b"\r\n" + extra + b"\r\n" + body
    )


def test_a_form_post_response_is_read():
    body = b"state=" + STATE.encode() + b"&code=posted"
    with LoopbackListener() as listener, waiting(listener) as got:
        answer = raw_exchange(listener.port, form_post(str(len(body)).encode(), body))
    assert status_of(answer) == "200" and "Signed in" in answer
    assert got["result"] == {"state": STATE, "code": "posted"}


@pytest.mark.parametrize(
    "request_bytes",
    [
        form_post(b"-1", b"state=" + STATE.encode() + b"&code=forged"),
        form_post(b"abc", b"state=" + STATE.encode() + b"&code=forged"),
        form_post(b"+5", b"state"),
        form_post(b"%d" % (2 << 20), b"state=" + STATE.encode()),  # Over the 1 MiB form cap
        form_post(b"5", b"state", extra=b"Content-Length: 6\r\n"),
        form_post(b"5", b"state", extra=b"Transfer-Encoding: chunked\r\n"),
        b"GET /?state="
        + STATE.encode()
        + b"&code=forged HTTP/1.1\r\nX-Pad: "
        + b"a" * 20000
        + b"\r\n\r\n",  # Over the 16 KiB head cap
        b"GET /?state=" + STATE.encode() + b"&code=forged HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody",
        b"DELETE /?state=" + STATE.encode() + b"&code=forged HTTP/1.1\r\n\r\n",
        b"not http at all\r\n\r\n",
    ],
    ids=[
        "negative-length",
        "non-numeric-length",
        "signed-length",
        "over-cap-length",
        "conflicting-lengths",
        "chunked",
        "oversized-head",
        "get-with-body",
        "other-method",
        "garbage",
    ],
)
def test_a_request_out_of_bounds_gets_400_without_being_read(request_bytes):
    """The connection stays open for writing: a listener that tried to read on would hang."""
    with LoopbackListener() as listener, waiting(listener) as got:
        answer = raw_exchange(listener.port, request_bytes)
        page = deliver(listener.port)
    assert status_of(answer) == "400", answer[:200]
    assert page.status_code == 200 and got["result"]["code"] == "the-code"


def test_a_second_bind_of_the_same_port_fails_while_the_listener_lives():
    with LoopbackListener() as listener:
        for reuse in (False, True):
            with socket.socket() as intruder:
                if reuse:
                    intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                with pytest.raises(OSError):
                    intruder.bind(("127.0.0.1", listener.port))


def test_the_listener_is_on_loopback_only_and_the_redirect_uri_says_localhost():
    with LoopbackListener() as listener:
        hosts = {host for host, port in listener.addresses}
        assert hosts <= {"127.0.0.1", "::1"} and "127.0.0.1" in hosts
        assert {port for host, port in listener.addresses} == {listener.port}
        assert listener.redirect_uri == "http://localhost:{}".format(listener.port)


def test_the_redirect_reaches_the_listener_through_localhost():
    with LoopbackListener() as listener, waiting(listener) as got:
        page = deliver(listener.port, host="localhost")
    assert page.status_code == 200 and got["result"]["code"] == "the-code"


@needs_ipv6
def test_a_browser_resolving_localhost_to_ipv6_reaches_the_listener():
    with LoopbackListener() as listener, waiting(listener) as got:
        page = deliver(listener.port, host="::1")
    assert ("::1", listener.port) in listener.addresses
    assert page.status_code == 200 and got["result"]["code"] == "the-code"


@needs_ipv6
def test_a_fixed_port_held_by_another_process_on_ipv6_is_refused():
    """Else that process would get the redirect whenever the browser picks ::1 for localhost."""
    with socket.socket(socket.AF_INET6) as squatter:
        squatter.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        squatter.bind(("::1", 0))
        squatter.listen(1)
        with pytest.raises(OSError, match="already in use"):
            LoopbackListener(squatter.getsockname()[1])
