"""The version this service reports: `/healthz` and the `X-Melmastoon-Version` header of every response.

One number, kept equal to pyproject.toml's and to the newest entry of CHANGELOG.md by a test.
`BUILD` is the image's source revision (the Dockerfile's `MELMASTOON_BUILD` build argument), empty
outside an image.
"""

from __future__ import annotations

import os

VERSION = "0.2.0"
BUILD = os.environ.get("MELMASTOON_BUILD", "")
VERSION_HEADER = "X-Melmastoon-Version"
