"""The data folder's token cache (`cache/`, design §12), opened without importing torch: `cache`, and a
`train` whose text cannot be read, answer in a fraction of a second instead of after torch's ~2.5 s import.
Re-exported by jobs.runs."""
from __future__ import annotations

from pathlib import Path

import storage

from ..core.token_cache import DEFAULT_LIMIT_BYTES, TokenCache


def token_cache(home=None, limit_mb: float | None = None) -> TokenCache:
    """The data folder's token cache (`cache/`), bounded to `limit_mb` megabytes (default 4 GB; 0 = off)."""
    folder = storage.ensure_data_dir(Path(home) if home else None) / "cache"
    limit = DEFAULT_LIMIT_BYTES if limit_mb is None else int(limit_mb * 1_000_000)
    return TokenCache(folder, limit)
