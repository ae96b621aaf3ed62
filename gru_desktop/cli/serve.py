"""`gru-desktop serve` (OpenAI-compatible HTTP) and `gru-desktop lsp` (a Language Server over stdio): a run's
suggestions where the user types (design §16)."""
from __future__ import annotations

import errno
import json
import sys


def cmd_serve(args) -> int:
    import storage

    from ..core.errors import UserError
    from ..serve.hosts import is_loopback
    from ..serve.token import ensure_token, token_path

    home = storage.resolve_home(args.home)
    if args.show_token:
        token = ensure_token(home)
        print(f"{token}" if not args.json else json.dumps({"token": token, "file": str(token_path(home))}))
        return 0
    if not 0 <= args.port <= 65535:
        raise UserError("--port must be between 0 and 65535")
    if not 0.5 <= args.timeout <= 3600:
        raise UserError("--timeout must be between 0.5 and 3600 seconds")
    if not is_loopback(args.host):
        print(f"warning: listening on {args.host}: other machines can reach this server; every request still needs "
              "the token", file=sys.stderr)
    from tornado.netutil import bind_sockets

    try:
        sockets = bind_sockets(args.port, args.host, reuse_port=False)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"port {args.port} on {args.host} is in use: choose another with --port "
                            "(or --port 0 for a free one)") from None
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    registry, run_id = _registry(args, home)
    warning = registry.exposed(run_id)  # its kept audit found exposed text (design §17): said before serving
    if warning:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    token = ensure_token(home)
    port = sockets[0].getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}/v1"

    def ready():
        if args.json:
            print(json.dumps({"url": url, "host": args.host, "port": port, "run": run_id,
                              "token_file": str(token_path(home)), "warning": warning}), flush=True)
        else:
            print(f"serving run {run_id} at {url} (token: gru-desktop serve --show-token); Ctrl-C stops", flush=True)

    from ..serve.http import serve

    serve(registry, token, sockets, args.host, port, args.timeout, args.exit_with_stdin, ready)
    return 0


def cmd_lsp(args) -> int:
    import storage

    from ..core.errors import UserError

    if not 1 <= args.top_k <= 100:
        raise UserError("--top-k must be between 1 and 100")
    home = storage.resolve_home(args.home)
    learning = None
    if args.learn:  # what the user types is learned only when asked (design §17)
        from ..serve.learning import TypingLearner

        def attach(registry):
            nonlocal learning
            learning = TypingLearner(home, registry.db)
            registry.personal = learning.part
            if learning.warning:
                print(f"warning: {learning.warning}", file=sys.stderr, flush=True)

        registry, run_id = _registry(args, home, attach)
    else:
        registry, run_id = _registry(args, home)
    warning = registry.exposed(run_id)  # its kept audit found exposed text: said on stderr, and to the editor
    if warning:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    from ..serve.lsp import make_server

    try:
        make_server(registry, k=args.top_k, learning=learning, warned=warning).start_io()
    finally:
        if learning is not None:
            learning.close()  # after exit or EOF: the last batch written (a no-op after shutdown)
    return 0


def _registry(args, home, attach=None):
    """The registry with the default run loaded now (an unknown run or a damaged model: one error line);
    `attach(registry)` before the load (the personal part, for `lsp --learn`)."""
    import torch

    from ..core.errors import UserError
    from ..serve.models import Registry, ServeError

    torch.set_num_threads(max(1, args.threads))  # one suggestion is a few small matrix products
    registry = Registry(home, args.run)
    if attach is not None:
        attach(registry)
    try:
        run_id = registry.resolve()
        registry.predictor(run_id)
    except ServeError as exc:
        raise UserError(exc.message) from None
    return registry, run_id
