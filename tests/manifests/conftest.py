"""Edge model helpers for the manifest tests. The fixtures (`edge`, `edge_dirs`) live in
tests/edge_models.py, shared with the suites that run the edge models (evals)."""

from __future__ import annotations

import socket
from pathlib import Path


def flip_a_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    index = len(data) // 2 if offset is None else offset
    data[index] ^= 0x01
    path.write_bytes(bytes(data))


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
