"""Small real media files made on the spot, for the fakes and the tests that read media: PNG and
JPEG photos (Pillow) and a WAV recording (the standard library). `sample_object` makes the object a
media reference names, by its extension, for the fake Cloud Storage to hold (no real guest's
document or voice is ever in the repository)."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Callable

from PIL import Image


def png(width: int = 1400, height: int = 900, grey: int = 128) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), (grey, grey, grey))
    for x in range(0, width, 40):  # some structure, so it is a photo of something
        for y in range(height):
            image.putpixel((x, y), (min(255, grey + 60), grey, max(0, grey - 60)))
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 1240, height: int = 880, grey: int = 150) -> bytes:
    """A JPEG the size of an ID card scan at 300 dpi."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png(width, height, grey))).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def wav(seconds: float = 0.5, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", frame) for frame in frames))
    return buffer.getvalue()


_BY_EXTENSION: dict[str, tuple[Callable[[], bytes], str]] = {
    "jpg": (jpeg, "image/jpeg"),
    "jpeg": (jpeg, "image/jpeg"),
    "png": (png, "image/png"),
    "wav": (wav, "audio/wav"),
}


def sample_object(name: str) -> tuple[bytes, str]:
    """An object's bytes and content type for an object name, by its extension (ValueError when
    no sample of that kind is made)."""
    extension = name.rsplit(".", 1)[-1].lower()
    if extension not in _BY_EXTENSION:
        raise ValueError(f"no sample media is made for {name}")
    maker, content_type = _BY_EXTENSION[extension]
    return maker(), content_type
