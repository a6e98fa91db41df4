"""The system browser of interactive sign-ins, scripted: one class for every test that lets a
library open "the browser" through ``webbrowser`` and needs a user on the other side.

Only the standard library and requests: the interpreters that run the original msal use it too.
"""

import contextlib
import socket
import threading
import webbrowser
from urllib.parse import parse_qsl, urlencode, urlsplit


class ScriptedBrowser(webbrowser.BaseBrowser):
    """A system browser whose user is played by a thread: ``sign_in(url)`` goes through the
    identity provider's pages and returns where the browser lands, a redirect URL or a form post
    ``{"action": url, "fields": {...}}``; the browser delivers it to the loopback listener the
    library opened, as a real one would.

    ``idle``: the user never finishes. ``preconnects``: connections opened to the listener ahead
    and left idle. ``forge_first``: another page feeds the listener a forged answer first.
    Where the sign-in led is in ``redirects``, the listener's answers in ``landed`` (``page`` is
    the last), the forged one's in ``refused``, what went wrong in the thread in ``failures``.
    """

    def __init__(self, sign_in, name="scripted", idle=False, preconnects=0, forge_first=False, timeout=30):
        super().__init__(name)
        self.sign_in, self.idle, self.timeout = sign_in, idle, timeout
        self.preconnects, self.forge_first = preconnects, forge_first
        self.opened, self.redirects, self.landed, self.refused, self.failures = [], [], [], [], []
        self.threads, self.idle_sockets = [], []

    def open(self, url, new=0, autoraise=True):
        self.opened.append(url)
        for _ in range(self.preconnects):
            address = ("127.0.0.1", urlsplit(dict(parse_qsl(urlsplit(url).query))["redirect_uri"]).port)
            self.idle_sockets.append(socket.create_connection(address, timeout=10))
        if not self.idle:
            thread = threading.Thread(target=self._play, args=(url,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return True

    def _play(self, url):
        try:
            self.redirects.append(self.sign_in(url))
            self.landed.append(self.land(self.redirects[-1]))
        except Exception as exc:  # Reported by the test, not lost in the thread
            self.failures.append("%s: %s" % (type(exc).__name__, exc))

    def land(self, where):
        """Deliver a redirect URL (or a form post) to the loopback listener; its answer."""
        import requests

        if isinstance(where, dict):  # response_mode=form_post: the page posts the fields
            action = urlsplit(where["action"])
            url = "http://127.0.0.1:{}{}".format(action.port, action.path or "/")
            return requests.post(url, data=where["fields"], timeout=self.timeout)
        target = urlsplit(where)
        url = "http://127.0.0.1:{}{}?".format(target.port, target.path or "/")
        if self.forge_first:
            forged = dict(parse_qsl(target.query), state="forged", code="stolen")
            self.refused.append(requests.get(url + urlencode(forged), timeout=self.timeout))
        return requests.get(url + target.query, timeout=self.timeout)

    @property
    def page(self):
        """The listener's last answer (the page the user sees at the end)."""
        assert self.landed, "the browser landed nowhere: %s" % self.failures
        return self.landed[-1]

    def join(self, timeout=60):
        for thread in self.threads:
            thread.join(timeout)
        for sock in self.idle_sockets:
            sock.close()


@contextlib.contextmanager
def registered(browser):
    """Make ``browser`` the only one ``webbrowser`` knows, until the block ends (then join it)."""
    saved = webbrowser._tryorder, webbrowser._browsers
    webbrowser._tryorder, webbrowser._browsers = [], {}  # No public way to unregister
    webbrowser.register(browser.name, None, browser, preferred=True)
    try:
        yield browser
    finally:
        webbrowser._tryorder, webbrowser._browsers = saved
        browser.join()
