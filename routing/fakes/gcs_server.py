"""A fake Cloud Storage (JSON API): object metadata and media downloads of objects a test puts.

`put(bucket, name, data, content_type)` stores an object; GET .../o/<name> answers its metadata
(size, contentType, generation, crc32c, md5Hash, mediaLink), GET /download/... its bytes with the
`x-goog-hash` and `x-goog-generation` headers the client verifies. A missing object is 404.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from typing import ClassVar
from urllib.parse import quote, unquote

import google_crc32c

from routing.fakes.samples import sample_object
from routing.fakes.server import LOOPBACK, Call, FakeProviderServer, Reply
from routing.fakes.vertex_server import google_error
from routing.providers.gcs.mapping import parse_ref

_OBJECT = r"/storage/v1/b/(?P<bucket>[^/]+)/o/(?P<name>.+)"


class FakeGcsServer(FakeProviderServer):
    provider = "gcs"
    routes: ClassVar = (
        ("GET", r"/download" + _OBJECT, "media"),
        ("GET", _OBJECT, "metadata"),
        ("GET", r"/storage/v1/b/(?P<bucket>[^/]+)", "bucket"),
    )

    def __init__(self, *, host: str = LOOPBACK, port: int = 0, hang_seconds: float = 30.0) -> None:
        super().__init__(host=host, port=port, hang_seconds=hang_seconds)
        self._objects: dict[tuple[str, str], tuple[bytes, str, int]] = {}
        self._objects_lock = threading.Lock()

    def put(self, bucket: str, name: str, data: bytes, content_type: str) -> None:
        with self._objects_lock:
            generation = self._objects.get((bucket, name), (b"", "", 0))[2] + 1
            self._objects[(bucket, name)] = (data, content_type, generation)

    def put_sample(self, ref: str) -> None:
        """The object a `gs://` / `gcs://` reference names, made by its extension (routing/fakes/samples.py)."""
        target = parse_ref(ref)
        self.put(target.bucket, target.name, *sample_object(target.name))

    def clear(self) -> None:
        with self._objects_lock:
            self._objects.clear()

    def error_payload(self, status: int) -> dict:
        return google_error(status)

    def bucket(self, call: Call) -> Reply:
        """Bucket metadata, which the client reads in the background for its own routing."""
        return Reply(
            {
                "kind": "storage#bucket",
                "id": call.params["bucket"],
                "name": call.params["bucket"],
                "location": "EU",
                "locationType": "multi-region",
                "storageClass": "STANDARD",
            }
        )

    def _object(self, call: Call) -> tuple[str, str, tuple[bytes, str, int] | None]:
        bucket, name = call.params["bucket"], unquote(call.params["name"])
        with self._objects_lock:
            return bucket, name, self._objects.get((bucket, name))

    def metadata(self, call: Call) -> Reply:
        bucket, name, stored = self._object(call)
        if stored is None:
            return Reply(google_error(404), 404)
        data, content_type, generation = stored
        media_link = (
            f"{self.base_url}/download/storage/v1/b/{bucket}/o/{quote(name, safe='')}?generation={generation}&alt=media"
        )
        return Reply(
            {
                "kind": "storage#object",
                "id": f"{bucket}/{name}/{generation}",
                "name": name,
                "bucket": bucket,
                "generation": str(generation),
                "metageneration": "1",
                "contentType": content_type,
                "size": str(len(data)),
                "mediaLink": media_link,
                "crc32c": _crc32c(data),
                "md5Hash": _md5(data),
                "storageClass": "STANDARD",
            }
        )

    def media(self, call: Call) -> Reply:
        _, _, stored = self._object(call)
        if stored is None:
            return Reply(google_error(404), 404)
        data, content_type, generation = stored
        md5 = _md5(data)
        return Reply(
            None,
            raw=data,
            content_type=content_type,
            headers={
                "x-goog-hash": f"crc32c={_crc32c(data)},md5={md5}",
                "x-goog-generation": str(generation),
                "x-goog-stored-content-length": str(len(data)),
            },
        )


def _crc32c(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def _md5(data: bytes) -> str:
    """The object's MD5, as Cloud Storage states it (an integrity check, not a security one)."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
