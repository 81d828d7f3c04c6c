"""Model files on disk: where they live and their SHA-256, re-hashed whenever the file changes.

The digest is cached per (path, inode, size, mtime in ns, ctime in ns): any write to the file,
a replacement by rename, or a truncation changes one of them, so a changed file is always
hashed again before it is trusted, while an unchanged 23 MB model is not re-read on every load.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from django.conf import settings

_CHUNK = 1024 * 1024
_lock = threading.Lock()
_digests: dict[tuple, str] = {}
_MAX_ENTRIES = 256


class UnsafePath(ValueError):
    pass


def model_dir() -> Path:
    return Path(settings.EDGE_MODEL_DIR)


def resolve(relative: str) -> Path:
    """A manifest's file name as a path inside EDGE_MODEL_DIR; never outside it."""
    root = model_dir().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise UnsafePath(f"{relative!r} is not inside the edge model directory")
    return path


def fingerprint(path: Path) -> tuple:
    stat = os.stat(path)
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def hash_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks, uncached (what a client without our cache does)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    key = fingerprint(path)
    with _lock:
        known = _digests.get(key)
    if known is not None:
        return known
    value = hash_file(path)
    if fingerprint(path) == key:  # unchanged while we read it
        with _lock:
            if len(_digests) >= _MAX_ENTRIES:
                _digests.clear()
            _digests[key] = value
    return value
