"""Verified loading of edge models: nothing reaches onnxruntime unless the manifest vouches for it.

Every load (every call of `load`) first verifies the published manifest (signature with the key
store's public key, key version not revoked, canonical body) and then the SHA-256 of the model
file and of its assets against the manifest. A mismatch refuses the load: `edge.model_refused`
goes to the outbox, and the caller gets ProviderError("refused"), so the router moves on.

InferenceSessions are cached per (model, sha256). An unchanged file is not re-read (its digest
is cached by inode, size and timestamps, manifests/files.py); a changed one is hashed again, so
it can never be served from a session built from other bytes. A cache miss reads the file once,
hashes exactly those bytes and builds the session from them: no window between check and use.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort
from django.db import connection
from tokenizers import Tokenizer

from manifests import files
from manifests.verification import ManifestRefused, verified_published_manifest
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import platform_access
from routing.providers.base import ProviderError

logger = logging.getLogger(__name__)
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on sequences up to 256 word pieces
REFUSED_TOPIC = "edge.model_refused"


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    sha256: str
    manifest_version: str
    session: ort.InferenceSession
    tokenizer: Tokenizer | None = None  # truncates at MAX_TOKENS, never pads (the caller pads per batch)
    counter: Tokenizer | None = None  # neither truncates nor pads: a text's true length in word pieces


class EdgeModels:
    """One per process (through the adapter): the session cache and the verification on load."""

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], ort.InferenceSession] = {}
        self._tokenizers: dict[str, tuple[Tokenizer, Tokenizer]] = {}

    def listed(self, name: str) -> bool:
        """Whether the published manifest lists `name` (unverified: a cheap routing check)."""
        from manifests.selectors import manifest_published

        manifest = manifest_published()
        return manifest is not None and manifest.edge_models.filter(name=name).exists()

    def load(self, name: str, *, tenant_id: str | None) -> LoadedModel:
        try:
            return self._load_verified(name)
        except ManifestRefused as refused:
            self._report(name, refused, tenant_id)
            raise ProviderError("refused", f"edge model {name} refused: {refused.reason}", retryable=False) from refused

    def _load_verified(self, name: str) -> LoadedModel:
        manifest = verified_published_manifest()
        entry = manifest.models.get(name)
        if entry is None:
            raise ManifestRefused(
                "not_in_manifest", f"{name} is not in manifest {manifest.version}", manifest_version=manifest.version
            )
        tokenizer = counter = None
        for asset in entry.get("assets", []):
            asset_path = self._checked_path(asset, manifest.version)
            if asset_path.name == "tokenizer.json":
                tokenizer, counter = self._tokenizer(asset_path, asset["sha256"])
        session = self._session(entry, manifest.version)
        return LoadedModel(
            name=name,
            version=entry["version"],
            sha256=entry["sha256"],
            manifest_version=manifest.version,
            session=session,
            tokenizer=tokenizer,
            counter=counter,
        )

    def _checked_path(self, described: dict, manifest_version: str) -> Path:
        try:
            path = files.resolve(described["file"])
            actual = files.file_sha256(path)
        except files.UnsafePath as exc:
            raise ManifestRefused("unsafe_path", str(exc), manifest_version=manifest_version) from exc
        except OSError as exc:
            raise ManifestRefused(
                "file_missing",
                f"{described['file']} cannot be read ({type(exc).__name__})",
                file=described["file"],
                manifest_version=manifest_version,
            ) from exc
        if actual != described["sha256"]:
            raise ManifestRefused(
                "sha256_mismatch",
                f"{described['file']} does not match the manifest",
                file=described["file"],
                expected_sha256=described["sha256"],
                actual_sha256=actual,
                manifest_version=manifest_version,
            )
        return path

    def _session(self, entry: dict, manifest_version: str) -> ort.InferenceSession:
        path = self._checked_path(entry, manifest_version)
        key = (entry["name"], entry["sha256"])
        with self._lock:
            session = self._sessions.get(key)
        if session is not None:
            return session
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:  # changed since it was hashed
            raise ManifestRefused(
                "sha256_mismatch",
                f"{entry['file']} changed while it was loaded",
                file=entry["file"],
                expected_sha256=entry["sha256"],
                manifest_version=manifest_version,
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # No arena: it keeps the peak of the largest batch seen for the process's life (+790 MiB
        # after one batch of 32 x 200 tokens of MiniLM, against +450 MiB freed after each run).
        options.enable_cpu_mem_arena = False
        session = ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if k[0] != entry["name"]}
            self._sessions[key] = session
        return session

    def _tokenizer(self, path: Path, sha256: str) -> tuple[Tokenizer, Tokenizer]:
        """(the embedding tokenizer, the counting one), both from the verified file. Neither pads:
        a padding tokenizer pads every text of an `encode_batch` to the longest, so a length read
        from it is the longest's (chunking counted every sentence of a section as its longest)."""
        with self._lock:
            pair = self._tokenizers.get(sha256)
        if pair is None:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                raise ManifestRefused("sha256_mismatch", f"{path.name} changed while it was loaded")
            tokenizer = Tokenizer.from_str(data.decode("utf-8"))
            # The file ships truncation at 128 and fixed padding; the model was trained at 256.
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.no_padding()
            counter = Tokenizer.from_str(data.decode("utf-8"))
            counter.no_truncation()
            counter.no_padding()
            pair = (tokenizer, counter)
            with self._lock:
                self._tokenizers[sha256] = pair
        return pair

    def _report(self, name: str, refused: ManifestRefused, tenant_id: str | None) -> None:
        payload = {
            "model": name,
            "reason": refused.reason,
            "message": refused.message[:300],
            **{key: value for key, value in refused.details.items() if isinstance(value, str | int)},
        }
        logger.warning("edge model load refused", extra={"model": name, "reason": refused.reason})
        if tenant_id and connection.in_atomic_block:
            outbox_emit(topic=REFUSED_TOPIC, payload=payload, key=name, tenant_id=tenant_id)
        else:
            with platform_access(actor="edge-provider", reason=REFUSED_TOPIC):
                outbox_emit(topic=REFUSED_TOPIC, payload=payload, key=name)
