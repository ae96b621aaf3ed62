"""The server's bearer token: a random secret kept in the data folder (`serve-token`, mode 0600), created on
first start. Every HTTP request must carry it (`Authorization: Bearer TOKEN`); `serve --show-token` prints it.

Stdlib only: the window reads it (in a worker) to copy it for the user.
"""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

TOKEN_FILE = "serve-token"
TOKEN_BYTES = 32  # 256 bits, as URL-safe base64 (43 characters)


def token_path(home: str | os.PathLike) -> Path:
    return Path(home) / TOKEN_FILE


def read_token(home: str | os.PathLike) -> str | None:
    """The stored token, or None when there is none yet (or the file holds nothing usable)."""
    try:
        text = token_path(home).read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text if len(text) >= 32 and text.isascii() and text.isprintable() and " " not in text else None


def ensure_token(home: str | os.PathLike) -> str:
    """The token, created now if there is none: written with O_EXCL and mode 0600 from the start (never a
    moment where another user could read it); a file that another process just created wins. A token file
    that others can read is tightened to 0600."""
    path = token_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = read_token(home)
    if token is None:
        fresh = secrets.token_urlsafe(TOKEN_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # unusable content (or a race): replace it, privately
            tmp = path.with_name(f"{TOKEN_FILE}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(fresh + "\n")
            os.replace(tmp, path)
            return read_token(home) or fresh
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(fresh + "\n")
        return fresh
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return token


def check_header(header: str | None, token: str) -> bool:
    """Whether an Authorization header value carries the token (compared in constant time)."""
    if not header:
        return False
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
