"""A scripted user: drives node-oidc-provider's built-in pages with plain HTTP requests.

It fills in whatever form the page shows (sign-in, consent, device code entry and
confirmation, auto-submitting form_post pages) and stops when the provider redirects to the
application's loopback redirect URI, which it returns without opening.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Dict, List, Optional
from urllib.parse import urljoin

import requests

MAX_STEPS = 12


class SignInError(Exception):
    """The pages did not lead where a user would expect: an error page, a loop, a dead end."""


@dataclass
class Form:
    action: str
    fields: Dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """Collects every form on a page with its named inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: List[Form] = []
        self._open: Optional[Form] = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self._open = Form(attrs.get("action") or "")
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attrs.get("name"):
            self._open.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def forms_of(html: str) -> List[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class ScriptedUser:
    """One user agent (cookie jar included) signing in as ``username``."""

    def __init__(self, ca_path: str, username: str, password: str, user_code: Optional[str] = None) -> None:
        self.verify = ca_path  # Passed per request: REQUESTS_CA_BUNDLE would beat Session.verify
        self.username, self.password, self.user_code = username, password, user_code
        self.session = requests.Session()

    def sign_in(self, url: str, stop_at: str = "http://localhost") -> str:
        """Open ``url`` and play every page; returns the redirect URL that starts with ``stop_at``."""
        response = self._send("GET", url)
        for _ in range(MAX_STEPS):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if target.startswith(stop_at):
                    return target
                response = self._send("GET", target)
                continue
            response.raise_for_status()
            form = self._form_to_submit(response)
            if form is None:
                return response.url  # A final page, e.g. the device flow's success page
            response = self._send("POST", urljoin(response.url, form.action), data=form.fields)
        raise SignInError("Still no redirect after {} pages".format(MAX_STEPS))

    def _form_to_submit(self, response: requests.Response) -> Optional[Form]:
        forms = forms_of(response.text)
        if not forms:
            if "error" in response.text.lower() and "success" not in response.text.lower():
                raise SignInError("The provider showed an error page:\n" + response.text[:2000])
            return None
        form = forms[0]
        if "login" in form.fields:
            form.fields.update(login=self.username, password=self.password)
        if "user_code" in form.fields and not form.fields["user_code"]:
            if self.user_code is None:
                raise SignInError("The provider asks for a device code and none was given")
            form.fields["user_code"] = self.user_code
        return form

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        return self.session.request(
            method, url, allow_redirects=False, verify=self.verify, timeout=30, **kwargs
        )
