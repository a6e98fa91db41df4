"""Server-side sessions: the browser holds only a signed, random session id.

Tokens never travel in a cookie. The store is an in-process dict, so this suits one process
(the sample, tests); a deployment would put the same interface over Redis or a database.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import CallbackDict

IDLE_LIFETIME = 8 * 3600


class SessionStore:
    """Session id -> JSON text, forgotten after an idle lifetime. Thread-safe."""

    def __init__(self, lifetime: float = IDLE_LIFETIME, now: Callable[[], float] = time.time):
        self._entries: Dict[str, Tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._lifetime, self._now = lifetime, now

    def get(self, sid: str) -> Optional[Dict[str, Any]]:
        with self._lock:
            expires, text = self._entries.get(sid, (0.0, ""))
        return json.loads(text) if expires > self._now() else None

    def put(self, sid: str, data: Dict[str, Any]) -> None:
        text = json.dumps(data)  # what a real store would keep; rejects non-JSON values early
        now = self._now()
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[sid] = (now + self._lifetime, text)

    def delete(self, sid: str) -> None:
        with self._lock:
            self._entries.pop(sid, None)

    def sessions(self) -> List[Dict[str, Any]]:
        """A copy of every live session, for operators and tests."""
        now = self._now()
        with self._lock:
            texts = [text for expires, text in self._entries.values() if expires > now]
        return [json.loads(text) for text in texts]


class ServerSession(CallbackDict, SessionMixin):
    """The per-request session dict; `regenerate()` gives it a fresh id when it is saved."""

    def __init__(self, initial: Optional[Dict[str, Any]] = None, sid: str = "", new: bool = False):
        def on_update(session: "ServerSession") -> None:
            session.modified = True

        super().__init__(initial, on_update)
        self.sid, self.new, self.modified, self.rotate = sid, new, False, False

    def regenerate(self) -> None:
        """Change the id on sign-in, so an id planted before it is worth nothing after."""
        self.rotate = self.modified = True


class ServerSideSessionInterface(SessionInterface):
    """Flask session interface over a SessionStore; the cookie carries `sid.signature`."""

    salt = "msal-sample-session"

    def __init__(self, store: SessionStore):
        self.store = store

    def _signer(self, app: Flask) -> Signer:
        return Signer(app.secret_key, salt=self.salt)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        cookie = request.cookies.get(self.get_cookie_name(app), "")
        try:
            sid = self._signer(app).unsign(cookie).decode() if cookie else ""
        except BadSignature:
            sid = ""
        data = self.store.get(sid) if sid else None
        if data is None:
            return ServerSession(sid=secrets.token_urlsafe(32), new=True)
        return ServerSession(data, sid=sid)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        name, domain, path = (
            self.get_cookie_name(app),
            self.get_cookie_domain(app),
            self.get_cookie_path(app),
        )
        if not session:
            if not session.new:
                self.store.delete(session.sid)
                response.delete_cookie(name, domain=domain, path=path)
            return
        send_cookie = session.new or session.rotate
        if session.rotate:
            self.store.delete(session.sid)
            session.sid, session.rotate = secrets.token_urlsafe(32), False
        self.store.put(session.sid, dict(session))
        if send_cookie:
            response.set_cookie(
                name,
                self._signer(app).sign(session.sid).decode(),
                httponly=True,
                secure=self.get_cookie_secure(app),
                domain=domain,
                path=path,
                samesite=self.get_cookie_samesite(app) or "Lax",
            )
