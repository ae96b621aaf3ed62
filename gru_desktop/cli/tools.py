"""The housekeeping commands: `cache`, `install-desktop` / `uninstall-desktop`, `bench`."""
from __future__ import annotations

import json


def cmd_cache(args) -> int:
    from ..core.token_cache import describe_size
    from ..jobs.cache_folder import token_cache

    cache = token_cache(args.home)
    if args.action == "clear":
        n, size = cache.clear()
        print(json.dumps({"removed": n, "bytes": size}) if args.json else f"removed {n} cache entries ({describe_size(size)})")
        return 0
    entries = [{"key": p.name, "bytes": size, "last_used": mtime} for p, size, mtime in cache.entries()]
    if args.json:
        print(json.dumps({"folder": str(cache.folder), "entries": entries}))
    else:
        print(f"{cache.folder}: {len(entries)} entries, {describe_size(sum(e['bytes'] for e in entries))}")
    return 0


def cmd_desktop(args) -> int:
    from .. import desktop

    if args.command == "install-desktop":
        launcher = desktop.install()
        print(f"installed {launcher} (Exec: {' '.join(desktop.entry_point())}) and the icons; "
              "GRU Desktop is in the applications menu (log out and in if your desktop does not show it yet)")
    else:
        removed = desktop.uninstall()
        print(f"removed {len(removed)} files: the launcher and the icons" if removed else "nothing to remove: no launcher installed")
    return 0


def cmd_bench(args) -> int:
    from ..bench import run_bench

    return run_bench(args)
