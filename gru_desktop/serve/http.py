"""`gru-desktop serve`: the OpenAI-compatible HTTP server (design §16), on tornado.

Why tornado: a maintained HTTP/1.1 server with no hand-parsed HTTP on our side, single-threaded (the
Predictor's incremental caches need one thread, and a GRU step of ~0.2 ms needs no more), and it bounds
what a client may do — `idle_connection_timeout` (also the time allowed for the headers), `body_timeout`,
`max_header_size`, `max_body_size` — so a slow or stalled client times out without holding the others.

Endpoints (all JSON; every request needs `Authorization: Bearer TOKEN`):
    GET  /v1/models        the runs that can suggest, as `run-N`, then `latest`
    POST /v1/completions   OpenAI legacy completions subset (`complete.py`)
    POST /v1/suggest       {"text", "k", "source", "run"} → {"suggestions": [{"word", "p"}], "completing", "run", "source"}
Refusals, each a JSON body `{"error": {"message", "type", "code"}}` (OpenAI's shape): 401 no or wrong token,
403 a Host header other than the address served (DNS rebinding), 413 a body over 64 KB, 400 malformed JSON
or fields, 404 an unknown run or path, 405 a wrong method, 409 a run whose model is damaged.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time

from tornado.httpserver import HTTPServer
from tornado.web import Application, HTTPError, RequestHandler, stream_request_body

from .complete import complete
from .hosts import HostCheck
from .models import Registry, ServeError, bad_request
from .token import check_header

MAX_BODY = 64 * 1024  # bytes of a request body; more → 413
HARD_BODY_CAP = 1 << 30  # tornado's own cap: above it tornado drops the connection (a 413 is sent before that)
MAX_HEADER = 16 * 1024
log = logging.getLogger(__name__)

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 405: "invalid_request_error", 409: "conflict_error", 413: "request_too_large",
               500: "server_error"}


@stream_request_body
class _Handler(RequestHandler):
    """Every endpoint: Host and token checked before the body is read; the body read up to MAX_BODY."""

    def initialize(self, registry: Registry, token: str, hosts: HostCheck):
        self.registry, self.token, self.hosts = registry, token, hosts
        self.body = bytearray()

    def prepare(self):
        if not self.hosts.allows(self.request.headers.get("Host")):
            return self.fail(403, "this server answers only requests addressed to it (Host header refused)")
        if not check_header(self.request.headers.get("Authorization"), self.token):
            self.set_header("WWW-Authenticate", 'Bearer realm="gru-desktop"')
            return self.fail(401, "missing or wrong token: send Authorization: Bearer TOKEN "
                                  "(gru-desktop serve --show-token prints it)")
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.strip().isdigit() or int(length) > MAX_BODY):
            return self.fail(413, f"the request body is larger than {MAX_BODY // 1024} KB")
        return None

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.body += chunk
        if len(self.body) > MAX_BODY:  # a chunked body without Content-Length
            self.fail(413, f"the request body is larger than {MAX_BODY // 1024} KB")

    def fail(self, status: int, message: str) -> None:
        if self._finished:
            return
        self.clear_header("Content-Type")
        self.set_status(status)
        self.finish({"error": {"message": message, "type": ERROR_TYPES.get(status, "error"), "code": status}})

    def write_error(self, status_code: int, **kwargs) -> None:  # tornado's own errors (405, 500) as JSON too
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.log_message if isinstance(exc, HTTPError) and exc.log_message else self._reason
        if status_code >= 500:
            message = "internal error (details in the server's log)"
        self.finish({"error": {"message": message, "type": ERROR_TYPES.get(status_code, "error"), "code": status_code}})

    def json(self) -> dict:
        try:
            value = json.loads(bytes(self.body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise bad_request("the body is not JSON") from None
        if not isinstance(value, dict):
            raise bad_request("the body must be a JSON object")
        return value

    def answer(self, make) -> None:
        if self._finished:
            return
        started = time.perf_counter()  # the body is in: from here on it is the server's own time
        try:
            body = make()
            # the server's own time for this request (bench --only serve separates it from the round trip)
            self.set_header("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.3f}")
            self.finish(body)
        except ServeError as exc:
            self.fail(exc.status, exc.message)

    def log_exception(self, typ, value, tb):  # a bug: the traceback goes to the log, the client gets a 500
        if not isinstance(value, HTTPError):
            log.error("error answering %s %s", self.request.method, self.request.path, exc_info=(typ, value, tb))


class ModelsHandler(_Handler):
    def get(self):
        self.answer(lambda: {"object": "list", "data": self.registry.models()})


class CompletionsHandler(_Handler):
    def post(self):
        self.answer(lambda: complete(self.registry, self.json()))


class SuggestHandler(_Handler):
    def post(self):
        self.answer(lambda: suggest_request(self.registry, self.json()))


class NotFoundHandler(_Handler):
    def prepare(self):
        if super().prepare() is None and not self._finished:
            self.fail(404, f"no endpoint {self.request.path[:100]}: use /v1/models, /v1/completions or /v1/suggest")


def suggest_request(registry: Registry, body: dict) -> dict:
    text = body.get("text")
    if not isinstance(text, str):
        raise bad_request("text must be a string")
    k = body.get("k", 3)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        raise bad_request("k must be a whole number from 1 to 100")
    source = body.get("source")
    if source is not None and source not in ("blend", "gru", "counts"):
        raise bad_request("source must be blend, gru or counts")
    return registry.suggest(text, k, source, body.get("run"))


def make_app(registry: Registry, token: str, hosts: HostCheck) -> Application:
    kw = {"registry": registry, "token": token, "hosts": hosts}
    return Application([(r"/v1/models/?", ModelsHandler, kw), (r"/v1/completions/?", CompletionsHandler, kw),
                        (r"/v1/suggest/?", SuggestHandler, kw)],
                       default_handler_class=NotFoundHandler, default_handler_args=kw,
                       log_function=lambda handler: None, compress_response=False)


def serve(registry: Registry, token: str, sockets, host: str, port: int, timeout: float = 10.0,
          exit_with_stdin: bool = False, ready=None) -> None:
    """Answer on the bound `sockets` until SIGINT/SIGTERM (or EOF on stdin with `exit_with_stdin`: a server
    started by the window ends with it, even if the window is killed)."""

    async def main():
        server = HTTPServer(make_app(registry, token, HostCheck(host, port)), idle_connection_timeout=timeout,
                            body_timeout=timeout, max_body_size=HARD_BODY_CAP, max_header_size=MAX_HEADER)
        server.add_sockets(sockets)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C ends the process
                pass
        if exit_with_stdin:
            _watch_stdin(loop, stop)
        if ready is not None:
            ready()
        await stop.wait()
        server.stop()
        await server.close_all_connections()

    asyncio.run(main())


def _watch_stdin(loop, stop: asyncio.Event) -> None:
    fd = sys.stdin.fileno()

    def readable():
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            stop.set()

    loop.add_reader(fd, readable)
