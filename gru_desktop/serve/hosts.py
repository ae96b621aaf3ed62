"""Which addresses the server answers for (design §16): loopback by default, and a Host header check against
DNS rebinding. Light on purpose (stdlib and tornado's host parser): `serve` checks its address before torch loads.
"""
from __future__ import annotations

import ipaddress

from tornado import httputil


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HostCheck:
    """Which Host headers name this server: the address it listens on (and `localhost` on loopback), with its
    port. Bound to all interfaces, any IP literal with the port (a rebinding attack needs a domain name)."""

    def __init__(self, host: str, port: int):
        self.port = port
        self.wildcard = host in ("0.0.0.0", "::", "")
        self.names = {host.lower(), f"[{host.lower()}]"}
        if is_loopback(host):
            self.names |= {"localhost", host}

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        try:
            name, port = httputil.split_host_and_port(header.strip().lower())
        except ValueError:
            return False
        if port is not None and port != self.port:
            return False
        if port is None and self.port != 80:
            return False
        if name in self.names:
            return True
        if self.wildcard:
            try:
                ipaddress.ip_address(name.strip("[]"))
                return True
            except ValueError:
                return False
        return False
