"""The sample media of the fakes (routing/fakes/samples.py), and base64 for request bodies."""

from __future__ import annotations

import base64

from routing.fakes.samples import jpeg, png, wav

__all__ = ["b64", "jpeg", "png", "wav"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
