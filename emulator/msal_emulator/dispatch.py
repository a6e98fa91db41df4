"""Dispatch: a request to the handler the route table names, with faults applied, the
request logged, and Entra-shaped errors (an unexpected exception is recorded for the tests
and answered `server_error`)."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Union

from . import errors, faults, requestlog
from .endpoints import admin
from .http import Request, Response, json_response
from .routes import RouteTable

if TYPE_CHECKING:  # pragma: no cover
    from .controls import TestControls
    from .server import Emulator


@dataclass(frozen=True)
class Abort:
    """A fault's answer that is no answer: close the connection (with an RST if `reset`)."""

    reset: bool


class Dispatch:
    """Routes requests for one emulator (the handlers receive the emulator itself)."""

    def __init__(self, emulator: "Emulator", controls: "TestControls", routes: RouteTable) -> None:
        self._emulator, self._controls, self.routes = emulator, controls, routes

    def serve(self, req: Request) -> Union[Response, Abort]:
        """The answer to a request as it came in: logged, faults applied (never for the
        control API)."""
        if req.path.startswith(admin.PREFIX):
            return self.handle(req)
        started = time.monotonic()
        entry = req.log_entry()
        entry["time"] = time.time()
        self._controls.requests.append(entry)
        answer = self._faulted(req)
        resp = answer if isinstance(answer, Response) else None
        requestlog.finish(entry, resp, time.monotonic() - started)
        requestlog.emit(entry, resp)
        return answer

    def _faulted(self, req: Request) -> Union[Response, Abort]:
        """The answer with the first matching fault applied."""
        fault = self._controls.faults.take(req, self._route_names(req))
        if fault is None:
            return self.handle(req)
        if fault.delay or fault.kind == "slow":
            time.sleep(fault.delay or 1.0)
        if fault.kind in faults.ABORTING_KINDS:
            return Abort(reset=fault.kind == "reset")
        return faults.respond(fault, req, lambda: self.handle(req), self._controls.clock())

    def _route_names(self, req: Request) -> List[str]:
        return [r.name for r in self.routes.at(req.path)]

    def handle(self, req: Request) -> Response:
        """Route one request; Entra-shaped JSON for errors, echoing client-request-id."""
        correlation = req.headers.get("client-request-id")
        echo = [("client-request-id", correlation)] if correlation else []
        route, groups, known = self.routes.match(req.method, req.path)
        try:
            if route is None:
                status = 405 if known else 404
                return json_response(
                    {"error": "not_found" if status == 404 else "method_not_allowed", "path": req.path},
                    status,
                    echo,
                )
            resp = route.handler(self._emulator, req, **groups)
        except errors.EntraError as exc:
            return json_response(
                errors.error_body(exc, self._controls.clock(), correlation), exc.status, echo
            )
        except Exception:  # a bug in the emulator: tell the client plainly, keep the trace
            self._emulator.record_internal_error(traceback.format_exc())
            failure = errors.EntraError(
                "server_error", 50000, "There was an error issuing a token.", status=500
            )
            return json_response(errors.error_body(failure, self._controls.clock(), correlation), 500, echo)
        resp.headers.extend(echo)
        return resp

    def log_refusal(self, method: str, target: str, reason: str, status: int) -> None:
        """A request the proxy refused goes to the request log like any other."""
        entry = requestlog.refusal_entry(method, target, reason, status)
        entry["time"] = time.time()
        self._controls.requests.append(entry)
        requestlog.emit(entry)
