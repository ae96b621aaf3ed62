"""`gru-desktop serve` through real clients (design §16): the official `openai` package and plain sockets,
against one server subprocess on a free port. Suggestions match `suggest --json`; every refusal is a JSON
error with the right status and leaves the server serving."""
from __future__ import annotations

import http.client
import json
import socket
import stat
import subprocess
import sys
import time

import openai
import pytest

from serve_helpers import REPO, TEXTS, cli, env  # noqa: E402

TIMEOUT = 1.0  # the server's --timeout for these tests (slow clients)


@pytest.fixture(scope="module")
def server(served_home):
    home, run_id, bad_id, expected = served_home
    proc = subprocess.Popen([sys.executable, "-m", "gru_desktop", "serve", str(run_id), "--port", "0", "--json",
                             "--timeout", str(TIMEOUT)], cwd=REPO, env=env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    info = json.loads(line)
    token = (home / "serve-token").read_text().strip()
    yield {"proc": proc, "port": info["port"], "url": info["url"], "token": token, "home": home, "run": run_id,
           "bad": bad_id, "expected": expected}
    proc.terminate()
    try:
        assert proc.wait(10) == 0  # SIGTERM: it stops cleanly
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def client(server, key=None) -> openai.OpenAI:
    return openai.OpenAI(base_url=server["url"], api_key=key or server["token"], max_retries=0, timeout=10)


def raw(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, parsed JSON body) of one request over a plain connection."""
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=10)
    h = {"Authorization": f"Bearer {server['token']}", **(headers or {})}
    conn.request(method, path, body=body, headers={k: v for k, v in h.items() if v is not None})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    assert r.getheader("Content-Type", "").startswith("application/json"), (r.status, data[:200])
    return r.status, json.loads(data)


def assert_serving(server):
    assert server["proc"].poll() is None
    assert [m.id for m in client(server).models.list()][-1] == "latest"


def test_token_file_is_private_and_shown(server):
    path = server["home"] / "serve-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    r = cli(server["home"], "serve", "--show-token")
    assert r.returncode == 0 and r.stdout.strip() == server["token"]
    assert len(server["token"]) >= 40


def test_models_lists_runs_and_latest(server):
    ids = [m.id for m in client(server).models.list()]
    assert f"run-{server['run']}" in ids and ids[-1] == "latest"
    assert f"run-{server['bad']}" in ids  # listed: it has a model path; answering for it is refused (409)
    latest = [m for m in client(server).models.list() if m.id == "latest"][0]
    assert latest.model_extra["run"] == f"run-{server['bad']}"  # the newest run with a model


@pytest.mark.parametrize("text", TEXTS)
def test_suggest_matches_cli(server, text):
    out = client(server).post("/suggest", cast_to=object, body={"text": text, "k": 3})
    assert [s["word"] for s in out["suggestions"]] == server["expected"][text]
    assert out["run"] == server["run"] and out["source"] == "blend"
    assert out["completing"] == ("yo" if text.endswith("yo") else None)
    assert all(0 < s["p"] <= 1 for s in out["suggestions"])


def test_completions_logprobs_match_cli(server):
    c = client(server)
    text = TEXTS[0]
    r = c.completions.create(model=f"run-{server['run']}", prompt=text, max_tokens=3, temperature=0, logprobs=3)
    choice = r.choices[0]
    top = choice.logprobs.top_logprobs[0]
    assert list(top) == server["expected"][text]  # sorted best first, the words suggest --json gives
    assert choice.text.split()[0] == server["expected"][text][0]  # greedy: the best word first
    assert len(choice.logprobs.tokens) == 3 and choice.finish_reason == "length"
    assert choice.logprobs.token_logprobs[0] == pytest.approx(top[choice.logprobs.tokens[0]])
    assert r.usage.completion_tokens == 3


def test_completions_complete_a_half_word_and_stop(server):
    c = client(server)
    text = TEXTS[1]  # "…yo": the first token is the rest of the best completion
    r = c.completions.create(model=f"run-{server['run']}", prompt=text, max_tokens=4, temperature=0, logprobs=2)
    best = server["expected"][text][0]
    assert r.choices[0].text.startswith(best[2:])
    assert r.choices[0].logprobs.tokens[0] == best[2:]
    stopped = c.completions.create(model=f"run-{server['run']}", prompt=text, max_tokens=10, temperature=0, stop=[" "])
    assert stopped.choices[0].text == best[2:] and stopped.choices[0].finish_reason == "stop"
    sampled = c.completions.create(model=f"run-{server['run']}", prompt="the", max_tokens=5, temperature=1, n=2, seed=3)
    again = c.completions.create(model=f"run-{server['run']}", prompt="the", max_tokens=5, temperature=1, n=2, seed=3)
    assert [x.text for x in sampled.choices] == [x.text for x in again.choices]  # seeded


def test_no_or_wrong_token_is_401(server):
    with pytest.raises(openai.AuthenticationError) as e:
        client(server, key="wrong-token").models.list()
    assert e.value.status_code == 401 and "token" in e.value.body["message"]
    status, body = raw(server, "GET", "/v1/models", headers={"Authorization": None})
    assert status == 401 and body["error"]["code"] == 401
    assert_serving(server)


def test_foreign_host_is_403(server):
    for host in ("evil.example:%d" % server["port"], "127.0.0.1:1", "attacker.localhost"):
        status, body = raw(server, "GET", "/v1/models", headers={"Host": host})
        assert status == 403 and "Host" in body["error"]["message"], host
    assert raw(server, "GET", "/v1/models", headers={"Host": f"localhost:{server['port']}"})[0] == 200
    assert_serving(server)


def test_big_body_is_413(server):
    with pytest.raises(openai.APIStatusError) as e:
        client(server).completions.create(model=f"run-{server['run']}", prompt="word " * 20_000, max_tokens=1)
    assert e.value.status_code == 413
    status, body = raw(server, "POST", "/v1/suggest", body=json.dumps({"text": "x" * 70_000}).encode())
    assert status == 413 and "64 KB" in body["error"]["message"]
    assert_serving(server)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"text": 5}', b'{"text": "a", "k": 0}',
                                  b'{"text": "a", "source": "magic"}', b"\xff\xfe"])
def test_malformed_is_400(server, body):
    status, out = raw(server, "POST", "/v1/suggest", body=body)
    assert status == 400 and out["error"]["type"] == "invalid_request_error"


def test_malformed_completion_fields_are_400(server):
    c = client(server)
    for kw in ({"temperature": 5}, {"max_tokens": -1}, {"n": 100}, {"logprobs": 50}, {"stop": ["a"] * 5}):
        with pytest.raises(openai.BadRequestError):
            c.completions.create(model=f"run-{server['run']}", prompt="the", **kw)
    with pytest.raises(openai.BadRequestError):
        c.completions.create(model=f"run-{server['run']}", prompt=["a", "b"])
    assert_serving(server)


def test_unknown_run_is_404_and_paths_are_never_read(server):
    c = client(server)
    for model in ("run-999", "999", "gpt-3.5-turbo-instruct", "../runs.db", str(server["home"] / "models" / "1.pt")):
        with pytest.raises(openai.NotFoundError):
            c.completions.create(model=model, prompt="the", max_tokens=1)
    status, body = raw(server, "POST", "/v1/suggest", body=b'{"text": "the ", "run": "run-999"}')
    assert status == 404 and body["error"]["code"] == 404
    assert raw(server, "GET", "/nowhere")[0] == 404
    assert_serving(server)


def test_damaged_model_is_409_with_reason(server):
    with pytest.raises(openai.ConflictError) as e:
        client(server).completions.create(model=f"run-{server['bad']}", prompt="the", max_tokens=1)
    assert e.value.status_code == 409 and f"run {server['bad']}" in e.value.body["message"]
    status, body = raw(server, "POST", "/v1/suggest", body=json.dumps({"text": "the ", "run": server["bad"]}).encode())
    assert status == 409 and "cannot suggest" in body["error"]["message"]
    assert_serving(server)


def test_wrong_method_is_json_405(server):
    status, body = raw(server, "GET", "/v1/suggest")
    assert status == 405 and body["error"]["code"] == 405


def test_200_connections_opened_and_dropped(server):
    socks = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", server["port"]), timeout=5)
        if i % 3 == 1:
            s.sendall(b"POST /v1/suggest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"te")
        elif i % 3 == 2:
            s.sendall(b"GET /v1/mod")
        socks.append(s)
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset, not FIN
        s.close()
    out = client(server).post("/suggest", cast_to=object, body={"text": TEXTS[0]})
    assert [s["word"] for s in out["suggestions"]] == server["expected"][TEXTS[0]]


def test_slow_client_times_out_and_holds_nobody(server):
    slow = socket.create_connection(("127.0.0.1", server["port"]), timeout=10)
    slow.sendall(b"POST /v1/suggest HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % server["port"])  # headers never end
    t0 = time.monotonic()
    assert client(server).post("/suggest", cast_to=object, body={"text": "the "})["suggestions"]
    assert time.monotonic() - t0 < TIMEOUT  # answered while the slow one hangs
    assert slow.recv(100) == b""  # closed by the server after its timeout
    assert time.monotonic() - t0 < TIMEOUT + 5
    slow.close()
    stalled = socket.create_connection(("127.0.0.1", server["port"]), timeout=10)
    stalled.sendall(b"POST /v1/suggest HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                    b"Content-Length: 100\r\n\r\n{\"text\"" % (server["port"], server["token"].encode()))
    assert stalled.recv(100) == b""  # a body that stops coming: closed too
    stalled.close()
    assert_serving(server)


def test_port_in_use_is_one_error_line(server):
    r = cli(server["home"], "serve", str(server["run"]), "--port", str(server["port"]))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "in use" in lines[0]


def test_other_host_warns(server):
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: it warns, then cannot listen (nothing is ever opened)
    r = cli(server["home"], "serve", str(server["run"]), "--host", "192.0.2.1", "--port", "0")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and lines[0].startswith("warning: listening on 192.0.2.1")
    assert len(lines) == 2 and lines[1].startswith("error: cannot listen on 192.0.2.1")


def test_unknown_default_run_is_one_error_line(served_home):
    home = served_home[0]
    r = cli(home, "serve", "77", "--port", "0")
    assert r.returncode == 2 and r.stderr.strip().startswith("error:") and len(r.stderr.strip().splitlines()) == 1
