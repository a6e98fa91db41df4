"""Mutable server state: authorization codes, refresh tokens, browser sessions, seen jtis.

One lock guards all of it; the server is threaded and each operation is tiny.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Union, overload

from .tokens import random_id

CODE_LIFETIME = 600
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600
SESSION_LIFETIME = 24 * 3600


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    scope: str
    user_oid: str
    tenant_id: str
    issued_at: float
    auth_time: float
    nonce: Optional[str] = None
    code_challenge: Optional[str] = None
    max_age: Optional[str] = None
    policy: Optional[str] = None  # the B2C user flow that issued it
    redeemed: bool = False


@dataclass
class RefreshGrant:
    client_id: str
    user_oid: str
    tenant_id: str
    issued_at: float
    auth_time: float
    family: Optional[str] = None
    revoked: bool = False
    adfs: bool = False
    policy: Optional[str] = None


@dataclass
class DeviceCode:
    """A device authorization request; the user settles it on the verification page."""

    client_id: str
    scope: str
    tenant_path: str
    user_code: str
    issued_at: float
    expires_in: int
    interval: int
    adfs: bool = False
    status: str = "pending"  # pending | approved | declined | redeemed
    user_oid: Optional[str] = None
    auth_time: Optional[float] = None
    last_poll: Optional[float] = None  # time.monotonic() of the last token request


@dataclass
class IssuedAssertion:
    """A SAML assertion the emulated ADFS issued; only these are trusted by the token endpoint."""

    user_oid: str
    version: str  # "1.1" | "2.0"
    not_on_or_after: float
    redeemed: bool = False


@dataclass
class Session:
    user_oid: str
    auth_time: float
    session_state: str = field(default_factory=lambda: random_id())


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.codes: Dict[str, AuthCode] = {}
        self.refresh_tokens: Dict[str, RefreshGrant] = {}
        self.sessions: Dict[str, Session] = {}
        self.seen_jtis: Dict[str, float] = {}
        self.device_codes: Dict[str, DeviceCode] = {}
        self.assertions: Dict[str, IssuedAssertion] = {}
        self.consents: Dict[str, Set[str]] = {}

    def new_code(self, code: AuthCode) -> str:
        value = random_id(32)
        with self.lock:
            self.codes[value] = code
        return value

    def redeem_code(self, value: str) -> Optional[AuthCode]:
        """The code's record, marking it redeemed; callers check `redeemed` first."""
        with self.lock:
            code = self.codes.get(value)
            if code is None:
                return None
            snapshot = AuthCode(**{**code.__dict__})
            code.redeemed = True
            return snapshot

    def new_refresh_token(self, grant: RefreshGrant) -> str:
        value = "1.emu." + random_id(48)
        with self.lock:
            self.refresh_tokens[value] = grant
        return value

    def refresh_grant(self, value: str) -> Optional[RefreshGrant]:
        with self.lock:
            return self.refresh_tokens.get(value)

    def revoke_refresh_tokens(self, user_oid: Optional[str] = None) -> int:
        with self.lock:
            hits = [g for g in self.refresh_tokens.values() if user_oid is None or g.user_oid == user_oid]
            for grant in hits:
                grant.revoked = True
            return len(hits)

    def new_session(self, session: Session) -> str:
        value = random_id(24)
        with self.lock:
            self.sessions[value] = session
        return value

    def session(self, value: Optional[str], now: float) -> Optional[Session]:
        with self.lock:
            found = self.sessions.get(value or "")
        if found and now - found.auth_time < SESSION_LIFETIME:
            return found
        return None

    def end_session(self, value: Optional[str]) -> None:
        with self.lock:
            self.sessions.pop(value or "", None)

    def use_jti(self, client_id: str, jti: str, expires: float) -> bool:
        """Record an assertion id; False when it was seen before (a replay)."""
        key = client_id + "|" + jti
        with self.lock:
            if key in self.seen_jtis:
                return False
            self.seen_jtis[key] = expires
            return True

    # ---- device codes ----

    def new_device_code(self, record: DeviceCode) -> str:
        value = "DAQABAAEAAAD" + random_id(48)
        with self.lock:
            self.device_codes[value] = record
        return value

    def device_code(self, value: str) -> Optional[DeviceCode]:
        with self.lock:
            return self.device_codes.get(value)

    def device_code_by_user_code(self, user_code: str) -> Optional[DeviceCode]:
        wanted = user_code.strip().upper().replace("-", "")
        with self.lock:
            return next((d for d in self.device_codes.values() if d.user_code == wanted), None)

    def poll_too_soon(self, record: DeviceCode, now: float, slack: float) -> bool:
        """Record a poll; True when it came sooner than the interval allows (RFC 8628 §3.5)."""
        with self.lock:
            previous, record.last_poll = record.last_poll, now
        return previous is not None and now - previous + slack < record.interval

    def settle_device_code(
        self,
        record: DeviceCode,
        status: str,
        user_oid: Optional[str] = None,
        auth_time: Optional[float] = None,
    ) -> bool:
        """Approve/decline a pending code; False when it was no longer pending."""
        with self.lock:
            if record.status != "pending":
                return False
            record.status, record.user_oid, record.auth_time = status, user_oid, auth_time
            return True

    def redeem_device_code(self, record: DeviceCode) -> bool:
        """Mark an approved code redeemed; False when it was redeemed already."""
        with self.lock:
            if record.status != "approved":
                return False
            record.status = "redeemed"
            return True

    # ---- SAML assertions and consent ----

    def remember_assertion(self, assertion_id: str, record: IssuedAssertion) -> None:
        with self.lock:
            self.assertions[assertion_id] = record

    def redeem_assertion(self, assertion_id: str) -> Optional[IssuedAssertion]:
        """The assertion's record as it was, marking it redeemed."""
        with self.lock:
            record = self.assertions.get(assertion_id)
            if record is None:
                return None
            snapshot = IssuedAssertion(**record.__dict__)
            record.redeemed = True
            return snapshot

    def grant_consent(self, user_oid: str, client_id: str, resource_ids: Iterable[str]) -> None:
        with self.lock:
            self.consents.setdefault(user_oid + "|" + client_id, set()).update(resource_ids)

    def has_consent(self, user_oid: str, client_id: str, resource_id: str) -> bool:
        with self.lock:
            return resource_id in self.consents.get(user_oid + "|" + client_id, set())


class RequestLog:
    """Thread-safe, list-like log of the requests the server received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: List[Dict[str, Any]] = []

    def append(self, item: Dict[str, Any]) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> List[Dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> List[Dict[str, Any]]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Dict[str, Any], List[Dict[str, Any]]]:
        with self._lock:
            return self._items[index]

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return "RequestLog(%r)" % self.snapshot()

    def matching(self, path_contains: str = "", method: Optional[str] = None) -> List[Dict[str, Any]]:
        """Requests whose path contains the text (and with that method, if given)."""
        return [
            r
            for r in self.snapshot()
            if path_contains in r["path"] and (method is None or r["method"] == method.upper())
        ]
