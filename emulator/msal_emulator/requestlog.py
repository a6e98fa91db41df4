"""The request log a developer reads: one line per request, bodies with `-v`, and a JSON view.

Entries of `Emulator.requests` keep what the client sent (tests inspect it); everything shown
outside the process (console lines, `GET /_emulator/requests`) goes through `redacted()`, so
secrets, codes and tokens never leave it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from typing import Any, Dict, List, Optional

from .http import Response

log = logging.getLogger("msal_emulator.requests")

REDACTED = "***"
SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "client_assertion",
        "password",
        "passwd",
        "code",
        "refresh_token",
        "assertion",
        "device_code",
        "code_verifier",
        "access_token",
        "id_token",
        "token",
        "samlresponse",
        "approval",
        "authorization",
        "cookie",
        "set-cookie",
        "id_token_hint",
    }
)
MAX_PARSED_BODY = 65536
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
SHOWN_RESPONSE_FIELDS = (
    "token_type",
    "expires_in",
    "scope",
    "error",
    "error_codes",
    "user_code",
    "verification_uri",
    "interval",
    "suberror",
)


def _hide(value: Any) -> Any:
    return JWT.sub(REDACTED, value) if isinstance(value, str) else value


def redact_pairs(pairs: Dict[str, Any]) -> Dict[str, Any]:
    """Form, query or header fields with secret values masked (and any JWT anywhere)."""
    return {k: REDACTED if k.lower() in SECRET_FIELDS and v else _hide(v) for k, v in pairs.items()}


def client_id_of(entry: Dict[str, Any]) -> Optional[str]:
    """The client id of a request: form or query field, else HTTP Basic's user name."""
    found: Optional[str] = entry["form"].get("client_id") or entry["query"].get("client_id")
    auth = entry["headers"].get("authorization", "")
    if not found and auth.lower().startswith("basic "):
        try:
            found = base64.b64decode(auth[6:].strip()).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
    return found


def _json_object(resp: Response) -> Dict[str, Any]:
    """A JSON object answer as a dict; {} for anything else, or for a body too large to read
    on every request (the `large` fault)."""
    if not resp.body.startswith(b"{") or len(resp.body) > MAX_PARSED_BODY:
        return {}
    try:
        body = json.loads(resp.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_of(resp: Response) -> Dict[str, Any]:
    """`error` and the AADSTS (or AADB2C) code of an error answer, when it has them."""
    body = _json_object(resp) if resp.status >= 400 else {}
    if not isinstance(body.get("error"), str):
        return {}
    codes = body.get("error_codes") or []
    code = codes[0] if codes else None
    match = re.match(r"(AAD(?:STS|B2C)\d+)", str(body.get("error_description", "")))
    return {
        "error": body["error"],
        "error_code": match.group(1) if match else ("AADSTS%s" % code if code else None),
    }


def finish(entry: Dict[str, Any], resp: Optional[Response], seconds: float) -> None:
    """Add the outcome to a request's entry (resp None: the connection was dropped on purpose)."""
    entry["latency_ms"] = round(seconds * 1000, 1)
    entry["grant_type"] = entry["form"].get("grant_type")
    entry["client_id"] = client_id_of(entry)
    if resp is None:
        entry.update(status=None, error="connection dropped", error_code=None)
        return
    entry.update(status=resp.status, error=None, error_code=None)
    entry.update(_error_of(resp))


def _response_summary(resp: Optional[Response]) -> Dict[str, Any]:
    """The harmless fields of a JSON answer, for `-v`."""
    body = _json_object(resp) if resp is not None else {}
    shown = {k: body[k] for k in SHOWN_RESPONSE_FIELDS if k in body}
    shown.update({k: REDACTED for k in ("access_token", "id_token", "refresh_token") if k in body})
    return shown


def outcome(entry: Dict[str, Any]) -> str:
    if entry.get("error_code"):
        return "%s %s" % (entry["status"], entry["error_code"])
    if entry.get("error"):
        return "%s %s" % (entry["status"] or "-", entry["error"])
    return str(entry.get("status"))


def line(entry: Dict[str, Any]) -> str:
    """`POST login.microsoftonline.com /<tenant>/oauth2/v2.0/token client_credentials
    client_id=... -> 200 (12.3 ms)`"""
    parts = [p for p in (entry["method"], entry["host"], entry["path"]) if p]
    if entry.get("grant_type"):
        parts.append(str(entry["grant_type"]).rsplit(":", 1)[-1])
    if entry.get("client_id"):
        parts.append("client_id=%s" % entry["client_id"])
    return "%s -> %s (%s ms)" % (" ".join(parts), outcome(entry), entry.get("latency_ms", "-"))


def redacted(entry: Dict[str, Any]) -> Dict[str, Any]:
    """The entry as it may be shown: what `GET /_emulator/requests` answers."""
    keep = (
        "time",
        "method",
        "host",
        "path",
        "grant_type",
        "client_id",
        "status",
        "error",
        "error_code",
        "latency_ms",
    )
    view = {k: entry.get(k) for k in keep}
    view["query"] = redact_pairs(entry.get("query", {}))
    view["form"] = redact_pairs(entry.get("form", {}))
    return view


def emit(entry: Dict[str, Any], resp: Optional[Response] = None) -> None:
    """Log one request: its line at INFO, its redacted fields and the answer's at DEBUG (`-v`)."""
    log.info("%s", line(entry))
    if log.isEnabledFor(logging.DEBUG):
        view = redacted(entry)
        view["answer"] = _response_summary(resp)
        for name in ("query", "form", "answer"):
            if view.get(name):
                log.debug("    %s %s", name, json.dumps(view[name], sort_keys=True))


def refusal_entry(method: str, target: str, reason: str, status: int) -> Dict[str, Any]:
    """A proxy request that was refused, as a request log entry."""
    return {
        "method": method,
        "host": target,
        "path": "",
        "query": {},
        "form": {},
        "headers": {},
        "status": status,
        "error": reason,
        "error_code": None,
        "grant_type": None,
        "client_id": None,
        "latency_ms": 0.0,
    }


def as_json(entries: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"requests": [redacted(e) for e in entries]}
