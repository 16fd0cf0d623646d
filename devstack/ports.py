"""Free TCP ports on 127.0.0.1 for the processes a development stack, a test or a benchmark
starts.

A port is free when asked for, not reserved: the kernel may offer the same free port twice in
a row when nothing has bound it in between (seen: the demo's emulator and service were given
one port, and the demo waited on the emulator's answer as if it were the service's). So a
port is never handed out twice by one process.
"""

from __future__ import annotations

import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and that this process has not handed out before."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port
