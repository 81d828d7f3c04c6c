#!/usr/bin/env bash
# Build the container image with podman from Debian's own packages, where no container registry is
# reachable: a debian:bookworm-slim equivalent made by debootstrap and `podman import` (once, about a
# minute), then the Dockerfile on it. Prints the image name on its last line.
#
#   scripts/build_image.sh            # localhost/melmastoon-ai:<version>
#   BASE_IMAGE=docker.io/library/debian:bookworm-slim scripts/build_image.sh   # where a registry is reachable
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/podman_env.sh
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
base="${BASE_IMAGE:-$LOCAL_BASE_IMAGE}"
if [ "$base" = "$LOCAL_BASE_IMAGE" ] && ! podman image exists "$base"; then
  rootfs="$(mktemp -d)"
  trap '$SUDO rm -rf "$rootfs"' EXIT
  $SUDO debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  # What debian:bookworm-slim leaves out: package caches, documentation, manuals, translations.
  $SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
      "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  $SUDO tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  $SUDO rm -f "$rootfs/etc/apt/sources.list"
  $SUDO tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - "$base" >/dev/null
fi
version="$(python3 -c 'import re,sys; print(re.search(r"VERSION = \"(.+?)\"", open("melmastoon_ai/version.py").read())[1])')"
image="localhost/melmastoon-ai:${version}"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# --network host: the build's pip and apt reach the registries as this machine does; --format docker
# keeps the HEALTHCHECK (the OCI image format has none).
podman_build --network host --format docker --secret "id=build_ca,src=$BUILD_CA" --build-arg "BASE_IMAGE=$base" \
    --build-arg "MELMASTOON_BUILD=$revision" -t "$image" . >&2
echo "$image"
