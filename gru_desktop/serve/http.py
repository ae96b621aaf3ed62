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
import email.utils
import json
import logging
import os
import signal
import sys
import time
from http.client import responses

from tornado import httputil
from tornado.httpserver import HTTPServer

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
INTERNAL = "internal error (details in the server's log)"
TOO_BIG = f"the request body is larger than {MAX_BODY // 1024} KB"


class Endpoints:
    """What the server answers, built once: path → (method, answer(body bytes) → JSON-able dict), and the
    checks every request passes first (Host, then token, then the declared body size).

    Requests are answered by tornado's HTTP/1.1 connection (parsing, keep-alive, the size limits and timeouts)
    with a lean message delegate (`_Request`) instead of tornado.web's RequestHandler: the same checks in the
    same order, at about half of tornado.web's cost per request (routing, handler objects, default headers,
    coroutines), which on two cores shared with the clients is most of a round trip (bench --only serve)."""

    def __init__(self, registry: Registry, token: str, hosts: HostCheck):
        self.registry, self.token, self.hosts = registry, token, hosts
        answers = {"/v1/models": ("GET", self.models), "/v1/completions": ("POST", self.completions),
                   "/v1/suggest": ("POST", self.suggest)}
        self.routes = {**answers, **{path + "/": answer for path, answer in answers.items()}}  # `/v1/models/` too
        self._date = (0, "")

    def models(self, body: bytearray) -> dict:
        return {"object": "list", "data": self.registry.models()}

    def completions(self, body: bytearray) -> dict:
        return complete(self.registry, parse_json(body))

    def suggest(self, body: bytearray) -> dict:
        return suggest_request(self.registry, parse_json(body))

    def refusal(self, headers: httputil.HTTPHeaders) -> tuple[int, str] | None:
        """Why a request is refused before its body is read ((status, message)), or None."""
        if not self.hosts.allows(headers.get("Host")):
            return 403, "this server answers only requests addressed to it (Host header refused)"
        if not check_header(headers.get("Authorization"), self.token):
            return 401, "missing or wrong token: send Authorization: Bearer TOKEN (gru-desktop serve --show-token prints it)"
        length = headers.get("Content-Length")
        if length is not None and (not length.strip().isdigit() or int(length) > MAX_BODY):
            return 413, TOO_BIG
        return None

    def date(self) -> str:
        """The Date header, formatted once a second."""
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, email.utils.formatdate(now, usegmt=True))
        return self._date[1]


class _Connections(httputil.HTTPServerConnectionDelegate):
    def __init__(self, endpoints: Endpoints):
        self.endpoints = endpoints

    def start_request(self, server_conn, request_conn) -> _Request:
        return _Request(self.endpoints, request_conn)


class _Request(httputil.HTTPMessageDelegate):
    """One request: refused at its headers (403, 401, 413, 404: answered at once, and tornado then closes the
    connection rather than read a body nobody wants), else its body read up to MAX_BODY (a chunked body that
    grows past it: 413) and answered when it is in (405 for a wrong method, the endpoint's answer, or its
    ServeError; a bug: 500, its traceback in the log)."""

    __slots__ = ("endpoints", "conn", "method", "path", "answer", "body", "done")

    def __init__(self, endpoints: Endpoints, conn):
        self.endpoints, self.conn = endpoints, conn
        self.method = self.path = ""
        self.answer = None
        self.body = bytearray()
        self.done = False

    def headers_received(self, start_line, headers) -> None:
        try:
            self.method, self.path = start_line.method, start_line.path.partition("?")[0]
            refused = self.endpoints.refusal(headers)
            if refused is not None:
                return self.fail(*refused, {"WWW-Authenticate": 'Bearer realm="gru-desktop"'} if refused[0] == 401 else None)
            self.answer = self.endpoints.routes.get(self.path)
            if self.answer is None:
                return self.fail(404, f"no endpoint {self.path[:100]}: use /v1/models, /v1/completions or /v1/suggest")
        except Exception:  # noqa: BLE001 - a bug: logged, and the client gets a 500
            self.crashed()
        return None

    def data_received(self, chunk: bytes) -> None:
        if self.done:
            return
        self.body += chunk
        if len(self.body) > MAX_BODY:  # a chunked body without Content-Length
            self.fail(413, TOO_BIG)

    def finish(self) -> None:
        if self.done or self.answer is None:
            return
        method, make = self.answer
        if self.method != method:
            return self.fail(405, responses[405], {"Allow": method})
        started = time.perf_counter()  # the body is in: from here on it is the server's own time
        try:
            body = make(self.body)
        except ServeError as exc:
            return self.fail(exc.status, exc.message)
        except Exception:  # noqa: BLE001 - a bug: logged, and the client gets a 500
            return self.crashed()
        # the server's own time for this request (bench --only serve separates it from the round trip)
        self.send(200, body, {"Server-Timing": f"app;dur={(time.perf_counter() - started) * 1000:.3f}"})
        return None

    def on_connection_close(self) -> None:
        self.done = True

    def crashed(self) -> None:
        log.error("error answering %s %s", self.method, self.path[:200], exc_info=True)
        self.fail(500, INTERNAL)

    def fail(self, status: int, message: str, extra: dict | None = None) -> None:
        self.send(status, {"error": {"message": message, "type": ERROR_TYPES.get(status, "error"), "code": status}},
                  extra)

    def send(self, status: int, body: dict, extra: dict | None = None) -> None:
        if self.done:
            return
        self.done = True
        data = json.dumps(body).replace("</", "<\\/").encode()  # as tornado.escape.json_encode
        headers = httputil.HTTPHeaders()
        headers["Content-Type"] = "application/json; charset=UTF-8"
        headers["Content-Length"] = str(len(data))
        headers["Date"] = self.endpoints.date()
        if extra:
            headers.update(extra)
        start = httputil.ResponseStartLine("HTTP/1.1", status, responses.get(status, "Unknown"))
        self.conn.write_headers(start, headers, data if self.method != "HEAD" else None)
        self.conn.finish()


def parse_json(body: bytearray) -> dict:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad_request("the body is not JSON") from None
    if not isinstance(value, dict):
        raise bad_request("the body must be a JSON object")
    return value


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


def make_app(registry: Registry, token: str, hosts: HostCheck) -> _Connections:
    return _Connections(Endpoints(registry, token, hosts))


def http_server(registry: Registry, token: str, host: str, port: int, timeout: float = 10.0) -> HTTPServer:
    """The server for `host:port` (its sockets still to add), with the limits every client is held to.
    Keep-alive stays on; no gzip'd bodies (decompress_request off) and no X-Forwarded-* (xheaders off)."""
    return HTTPServer(make_app(registry, token, HostCheck(host, port)), idle_connection_timeout=timeout,
                      body_timeout=timeout, max_body_size=HARD_BODY_CAP, max_header_size=MAX_HEADER)


def serve(registry: Registry, token: str, sockets, host: str, port: int, timeout: float = 10.0,
          exit_with_stdin: bool = False, ready=None) -> None:
    """Answer on the bound `sockets` until SIGINT/SIGTERM (or EOF on stdin with `exit_with_stdin`: a server
    started by the window ends with it, even if the window is killed)."""

    async def main():
        server = http_server(registry, token, host, port, timeout)
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
