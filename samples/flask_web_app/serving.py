"""Run WSGI apps on werkzeug's server in a background thread (the launcher and the tests)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator, Type

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class RedactingRequestHandler(WSGIRequestHandler):
    """Log request lines without their query strings, which carry authorization codes."""

    def log_request(self, code: object = "-", size: object = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s %s" %s %s', self.command, path, self.request_version, code, size)


class SilentRequestHandler(WSGIRequestHandler):
    """Log nothing per request."""

    def log_request(self, code: object = "-", size: object = "-") -> None:
        pass


@contextmanager
def serving(
    app,
    host: str = "127.0.0.1",
    port: int = 0,
    handler: Type[WSGIRequestHandler] = RedactingRequestHandler,
) -> Iterator[BaseWSGIServer]:
    """Serve `app` (threaded) until the block ends; `port=0` picks a free port."""
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="wsgi-%d" % server.server_port,
        daemon=True,
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
