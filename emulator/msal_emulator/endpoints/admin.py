"""The emulator's own control API under /_emulator/ (never logged, never faulted).

POST   /_emulator/faults   JSON {"kind": ..., "endpoint": ..., options}  → 201, the fault
GET    /_emulator/faults   → {"faults": [...], "fired": total}
DELETE /_emulator/faults   → {"cleared": n}
GET    /_emulator/requests → {"requests": [...]}, the request log with secrets masked
GET    /_emulator/config   → the directory (tenants, apps with credentials, users)
PUT    /_emulator/mex      the body becomes the MEX document; DELETE restores the real one
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .. import requestlog
from ..http import Request, Response, json_response

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

PREFIX = "/_emulator/"


def _bad_request(text: str) -> Response:
    return json_response({"error": "invalid_request", "error_description": text}, 400)


def add_fault(emu: "Emulator", req: Request) -> Response:
    try:
        spec = json.loads(req.body.decode("utf-8") or "{}")
        if not isinstance(spec, dict):
            raise ValueError("the body must be a JSON object")
        kind = spec.pop("kind")
        fault = emu.faults.add(kind, spec.pop("endpoint", None), **spec)
    except KeyError:
        return _bad_request("the fault needs a 'kind'")
    except (ValueError, TypeError) as exc:
        return _bad_request(str(exc))
    return json_response(fault.describe(), 201)


def list_faults(emu: "Emulator", req: Request) -> Response:
    return json_response({"faults": [f.describe() for f in emu.faults.all()], "fired": emu.faults.fired})


def clear_faults(emu: "Emulator", req: Request) -> Response:
    count = len(emu.faults.all())
    emu.clear_faults()
    return json_response({"cleared": count})


def set_mex(emu: "Emulator", req: Request) -> Response:
    emu.set_mex_document(req.body.decode("utf-8", "replace"))
    return json_response({"mex": "replaced"})


def reset_mex(emu: "Emulator", req: Request) -> Response:
    emu.reset_mex()
    return json_response({"mex": "default"})


def list_requests(emu: "Emulator", req: Request) -> Response:
    return json_response(requestlog.as_json(emu.requests.snapshot()))


def describe_config(emu: "Emulator", req: Request) -> Response:
    return json_response(emu.describe_directory())
