"""The HTTP server's own request handling (serve/http.py's delegate on tornado's HTTP/1.1 connection), in this
process against a registry that fails on purpose: a bug is a JSON 500 (traceback in the log) and the server
serves on; a wrong method is a 405 that keeps the connection; HEAD gets no body; the checks come in order
(Host, token, size, then the path); routes ignore a query and a trailing slash; a chunked body over 64 KB is a
413. The real run, the official client and the other faults are in test_serve_http.py."""
from __future__ import annotations

import asyncio
import http.client
import json
import logging
import socket
import threading

import pytest
from tornado.netutil import bind_sockets

from gru_desktop.serve.http import http_server
from gru_desktop.serve.models import ServeError

TOKEN = "t" * 43


class FailingRegistry:
    """`models()` answers; `suggest` fails as the text asks: "bug" raises a bug, "gone" a 409."""

    def models(self) -> list[dict]:
        return [{"id": "run-1", "object": "model"}]

    def suggest(self, text, k, source, run):
        if text == "gone":
            raise ServeError(409, "run 1 cannot suggest: damaged", "conflict_error")
        raise RuntimeError("a bug in the suggestion code")


@pytest.fixture(scope="module")
def port():
    sockets = bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    ready, state = threading.Event(), {}

    async def main():
        server = http_server(FailingRegistry(), TOKEN, "127.0.0.1", port, timeout=5)  # type: ignore[arg-type]
        server.add_sockets(sockets)
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await state["stop"].wait()
        server.stop()
        await server.close_all_connections()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield port
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(10)


def ask(conn, method, path, body=None, headers=None):
    h = {"Authorization": f"Bearer {TOKEN}", **(headers or {})}
    conn.request(method, path, body=body, headers={k: v for k, v in h.items() if v is not None})
    r = conn.getresponse()
    data = r.read()
    return r, (json.loads(data) if data else None)


def test_a_bug_is_a_json_500_logged_and_the_server_serves_on(port, caplog):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    with caplog.at_level(logging.ERROR, logger="gru_desktop.serve.http"):
        r, body = ask(conn, "POST", "/v1/suggest", b'{"text": "bug"}')
    assert r.status == 500 and body["error"] == {"message": "internal error (details in the server's log)",
                                                  "type": "server_error", "code": 500}
    assert "a bug in the suggestion code" not in json.dumps(body)  # the client never sees the traceback
    assert any(rec.exc_info and "a bug in the suggestion code" in str(rec.exc_info[1]) for rec in caplog.records)
    r, body = ask(conn, "POST", "/v1/suggest", b'{"text": "gone"}')  # the same connection, still served
    assert r.status == 409 and "damaged" in body["error"]["message"]
    r, body = ask(conn, "GET", "/v1/models")
    assert r.status == 200 and body["data"][0]["id"] == "run-1"
    assert r.getheader("Date") and r.getheader("Server-Timing", "").startswith("app;dur=")


def test_wrong_method_is_405_and_keeps_the_connection(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    r, body = ask(conn, "GET", "/v1/suggest")
    assert r.status == 405 and body["error"]["code"] == 405 and r.getheader("Allow") == "POST"
    first = conn.sock
    r, body = ask(conn, "PUT", "/v1/models", b"{}")
    assert r.status == 405 and r.getheader("Allow") == "GET"
    assert conn.sock is first  # keep-alive: no new connection was needed
    r, body = ask(conn, "HEAD", "/v1/models")
    assert r.status == 405 and body is None  # HEAD: the headers only


def test_checks_in_order_then_the_path(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    r, body = ask(conn, "GET", "/nowhere", headers={"Host": "evil.example", "Authorization": None})
    assert r.status == 403 and "Host" in body["error"]["message"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    r, body = ask(conn, "GET", "/nowhere", headers={"Authorization": "Bearer wrong"})
    assert r.status == 401 and r.getheader("WWW-Authenticate", "").startswith("Bearer")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    r, body = ask(conn, "POST", "/nowhere", b"{}", headers={"Content-Length": "70000"})
    assert r.status == 413 and "64 KB" in body["error"]["message"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    r, body = ask(conn, "GET", "/nowhere?x=1")
    assert r.status == 404 and body["error"]["message"].startswith("no endpoint /nowhere:")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for path in ("/v1/models/", "/v1/models?x=1"):
        assert ask(conn, "GET", path)[0].status == 200, path
    r, body = ask(conn, "POST", "/v1/suggest/?x=1", b"[1]")
    assert r.status == 400 and body["error"]["message"] == "the body must be a JSON object"


def test_chunked_body_over_64_kb_is_413(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(f"POST /v1/suggest HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
              "Transfer-Encoding: chunked\r\n\r\n".encode())
    for _ in range(3):
        s.sendall(b"8000\r\n" + b"x" * 0x8000 + b"\r\n")
    reply = b""
    while b"}}" not in reply:
        part = s.recv(4096)
        if not part:
            break
        reply += part
    s.close()
    assert reply.startswith(b"HTTP/1.1 413 ") and b'"code": 413' in reply
