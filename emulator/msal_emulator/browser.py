"""A scripted browser: plays the user on the emulator's sign-in pages over plain HTTPS.

It follows the emulator's own pages and stops at the first step that leaves the emulator:
the redirect to the client's redirect_uri (returned as a URL string) or, for
response_mode=form_post, the auto-submitting form (returned as {"action": url, "fields": {...}}).
"""

from __future__ import annotations

import http.client
import re
import ssl
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from .routing import served_by

if TYPE_CHECKING:  # pragma: no cover
    from .server import Emulator

SignInResult = Union[str, Dict[str, object]]
MAX_STEPS = 10


class SignInError(Exception):
    """The sign-in did not reach the client: wrong password, an error page, a loop."""


@dataclass
class _Page:
    url: str
    status: int
    location: Optional[str]
    body: str


@dataclass
class _Form:
    action: str = ""
    fields: Dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    """Extracts the first form (action and input fields) and any error message."""

    def __init__(self) -> None:
        super().__init__()
        self.form: Optional[_Form] = None
        self.in_form = False
        self.error_text: List[str] = []
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        found = dict(attrs)
        name = found.get("name")
        if tag == "form" and self.form is None:
            self.form, self.in_form = _Form(action=found.get("action") or ""), True
        elif tag == "input" and self.in_form and self.form is not None and name:
            if found.get("type") not in ("submit", "button"):
                self.form.fields[name] = found.get("value") or ""
        if found.get("id") == "error":
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        if tag == "p":
            self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error_text.append(data)


def auth_response(result: SignInResult) -> Dict[str, str]:
    """The parameters the client receives, whichever way they were delivered.

    This is what msal's acquire_token_by_auth_code_flow takes as `auth_response`.
    """
    if isinstance(result, dict):
        fields = result["fields"]
        return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}
    parts = urlsplit(result)
    return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))


class Browser:
    """A cookie-keeping user agent limited to the emulator's pages."""

    def __init__(self, emu: "Emulator") -> None:
        self.emu = emu
        self.cookies: Dict[str, str] = {}

    def clear_cookies(self) -> None:
        self.cookies.clear()

    def sign_in(self, auth_uri: str, username: str, password: str, consent: bool = True) -> SignInResult:
        """Open auth_uri, sign in as username, accept (or decline) consent, stop at the client."""
        page = self.get(auth_uri)
        submitted = False
        for _ in range(MAX_STEPS):
            if page.status in (301, 302, 303, 307, 308):
                target = urljoin(page.url, page.location or "")
                if not self.serves(target):
                    return target
                page = self.get(target)
                continue
            parser = _PageParser()
            parser.feed(page.body)
            message = " ".join(t.strip() for t in parser.error_text if t.strip())
            if page.status != 200 or parser.form is None:
                raise SignInError(message or "unexpected page (HTTP %d)" % page.status)
            action = urljoin(page.url, parser.form.action)
            if not self.serves(action):
                return {"action": action, "fields": parser.form.fields}
            fields = parser.form.fields
            if "passwd" in fields:
                if submitted:
                    raise SignInError(message or "sign-in page shown again")
                fields.update(login=username, passwd=password, consent="accept" if consent else "decline")
                submitted = True
            elif fields.get("step") == "consent":
                fields["consent"] = "accept" if consent else "decline"
            page = self.post(action, fields)
        raise SignInError("too many steps without reaching the client")

    def approve_device_code(
        self, verification_uri: str, user_code: str, username: str, password: str, approve: bool = True
    ) -> str:
        """Enter the user code, sign in, then continue (or cancel); the final page's text."""
        page = self.get(verification_uri)
        page = self._submit(page, "code", otc=user_code)
        page = self._submit(page, "signin", login=username, passwd=password)
        page = self._submit(page, "consent", consent="accept" if approve else "decline")
        done = re.search(r'<p id="done">(.*?)</p>', page.body, re.S)
        if page.status != 200 or done is None:
            raise SignInError("the device code was not settled (HTTP %d)" % page.status)
        return re.sub(r"<[^>]+>", "", done.group(1)).strip()

    def _submit(self, page: _Page, step: str, **values: str) -> _Page:
        """Fill and post the page's form, which must be the `step` one; else report its error."""
        parser = _PageParser()
        parser.feed(page.body)
        form = parser.form
        if page.status != 200 or form is None or form.fields.get("step", step) != step:
            message = " ".join(t.strip() for t in parser.error_text if t.strip())
            raise SignInError(message or "expected the %r page (HTTP %d)" % (step, page.status))
        return self.post(urljoin(page.url, form.action), dict(form.fields, **values))

    def serves(self, url: str) -> bool:
        return served_by(self.emu.port, urlsplit(url), self.emu.directory.tenant_hosts)

    def get(self, url: str) -> _Page:
        return self._request("GET", url)

    def post(self, url: str, fields: Dict[str, str]) -> _Page:
        return self._request("POST", url, urlencode(fields).encode())

    def _request(self, method: str, url: str, body: Optional[bytes] = None) -> _Page:
        parts = urlsplit(url)
        if not served_by(self.emu.port, parts, self.emu.directory.tenant_hosts):
            raise SignInError("%s is not an emulator page" % url)
        context = ssl.create_default_context(cafile=self.emu.ca_path)
        conn = http.client.HTTPSConnection("localhost", self.emu.port, context=context, timeout=30)
        headers = {"Host": parts.netloc, "User-Agent": "msal-emulator-browser"}
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        path = parts.path + ("?" + parts.query if parts.query else "")
        try:
            conn.request(method, path or "/", body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            for value in resp.headers.get_all("Set-Cookie") or []:
                self._store_cookie(value)
            return _Page(url, resp.status, resp.getheader("Location"), text)
        finally:
            conn.close()

    def _store_cookie(self, header: str) -> None:
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value
