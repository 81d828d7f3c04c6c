#!/usr/bin/env bash
# Build the image (scripts/build_image.sh) and run the production sequence in it
# (scripts/production_sequence.py --image): bootstrap, release, edge-models, web, /readyz 200, one /complete.
# .ci/run calls this after the test suite. Needs root (podman, debootstrap) and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
image="$(scripts/build_image.sh | tail -1)"
built=$SECONDS
.venv/bin/python scripts/production_sequence.py --image "$image"
echo "container smoke: passed; image $image built in $((built - started)) s, sequence in $((SECONDS - built)) s"
